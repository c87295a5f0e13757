package dev.chargeback.exporter.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who may see a namespace's bill and usage, as Kubernetes says: the caller's bearer token is
 * checked with a TokenReview, then a SubjectAccessReview asks whether that user may {@code verb}
 * {@code resource} in the namespace (by default {@code get pods}: whoever can see a namespace's
 * pods can see what they cost). Answers are cached briefly; when the API server cannot answer, the
 * request fails closed with 503.
 */
public final class AccessControl {
  /**
   * The authenticated caller, as the TokenReview names it: a SubjectAccessReview must carry all of
   * it (an OpenShift scoped token differs from its user's full rights only in {@code extra}).
   */
  public record Caller(
      String user, String uid, List<String> groups, Map<String, List<String>> extra) {}

  /** A refusal, answered with its status and reason. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final int status;

    public Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** Tokens remembered at once (by hash), valid or not. */
  static final int MAX_TOKENS = 10_000;

  /** Access decisions remembered at once (caller × namespace). */
  static final int MAX_DECISIONS = 100_000;

  private record Decision(Caller caller, String namespace) {}

  private final KubernetesClient client;
  private final String verb;
  private final String resource;

  /** Token hash → the caller, or empty for a token Kubernetes rejected (not asked again soon). */
  private final Cache<String, Optional<Caller>> callers;

  private final Cache<Decision, Boolean> decisions;

  /** The cookie the web pages' sign-in form keeps the caller's token in. */
  public static final String TOKEN_COOKIE = "chargeback_token";

  /** The header an authenticating proxy sets to the caller's token, or null. */
  private final String tokenHeader;

  public AccessControl(KubernetesClient client, String verb, String resource, Duration ttl) {
    this(client, verb, resource, ttl, null);
  }

  /**
   * @param tokenHeader a header an authenticating proxy in front sets to the caller's token, read
   *     when there is no Authorization header; null or empty for none
   */
  public AccessControl(
      KubernetesClient client, String verb, String resource, Duration ttl, String tokenHeader) {
    this.client = client;
    this.verb = verb;
    this.resource = resource;
    this.tokenHeader = tokenHeader == null || tokenHeader.isBlank() ? null : tokenHeader;
    this.callers = Caffeine.newBuilder().maximumSize(MAX_TOKENS).expireAfterWrite(ttl).build();
    this.decisions = Caffeine.newBuilder().maximumSize(MAX_DECISIONS).expireAfterWrite(ttl).build();
  }

  /**
   * The caller of {@code ctx}, or 401 (no or bad token) or 503 (API server unreachable). The token
   * is the Authorization header's bearer token, else the proxy's token header, else the sign-in
   * cookie's.
   */
  public Caller caller(Context ctx) {
    String token = token(ctx);
    if (token == null) {
      throw new Refused(
          401, "a bearer token is required (Authorization: Bearer TOKEN, or sign in at /signin)");
    }
    return check(token);
  }

  /** Who {@code token} belongs to, or 401 (not valid) or 503 (API server unreachable). */
  public Caller check(String token) {
    // A failure to reach the API server throws out of the loader and is not remembered.
    return callers
        .get(sha256(token), k -> review(token))
        .orElseThrow(() -> new Refused(401, "the token is not valid"));
  }

  /** The token {@code ctx} carries, or null. */
  private String token(Context ctx) {
    String header = ctx.header("Authorization");
    if (header != null) {
      return header.regionMatches(true, 0, "Bearer ", 0, 7) && !header.substring(7).isBlank()
          ? header.substring(7).strip()
          : null;
    }
    String forwarded = tokenHeader == null ? null : ctx.header(tokenHeader);
    if (forwarded != null && !forwarded.isBlank()) {
      return forwarded.strip();
    }
    String cookie = ctx.cookie(TOKEN_COOKIE);
    return cookie == null || cookie.isBlank() ? null : cookie;
  }

  /** Whether {@code ctx} carries a token at all (checked or not). */
  public boolean hasToken(Context ctx) {
    return token(ctx) != null;
  }

  /**
   * The namespaces of {@code all} that the caller of {@code ctx} may see: all of them when {@code
   * access} is null (access control off).
   */
  public static List<String> visible(AccessControl access, Context ctx, Collection<String> all) {
    if (access == null) {
      return List.copyOf(all);
    }
    Caller caller = access.caller(ctx);
    return all.stream().filter(ns -> access.allowed(caller, ns)).toList();
  }

  private Optional<Caller> review(String token) {
    TokenReview review;
    try {
      review =
          client
              .tokenReviews()
              .create(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build());
    } catch (RuntimeException e) {
      throw new Refused(503, "cannot check the token with the Kubernetes API: " + reason(e));
    }
    if (review.getStatus() == null
        || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())
        || review.getStatus().getUser() == null) {
      return Optional.empty();
    }
    UserInfo user = review.getStatus().getUser();
    return Optional.of(
        new Caller(
            user.getUsername(),
            user.getUid(),
            user.getGroups() == null ? List.of() : List.copyOf(user.getGroups()),
            user.getExtra() == null ? Map.of() : Map.copyOf(user.getExtra())));
  }

  /** Whether {@code caller} may see {@code namespace}; 503 when the API server cannot answer. */
  public boolean allowed(Caller caller, String namespace) {
    return decisions.get(new Decision(caller, namespace), d -> review(caller, namespace));
  }

  private boolean review(Caller caller, String namespace) {
    SubjectAccessReview review;
    try {
      review =
          client
              .authorization()
              .v1()
              .subjectAccessReview()
              .create(
                  new SubjectAccessReviewBuilder()
                      .withNewSpec()
                      .withUser(caller.user())
                      .withUid(caller.uid())
                      .withGroups(caller.groups())
                      .withExtra(caller.extra())
                      .withNewResourceAttributes()
                      .withNamespace(namespace)
                      .withVerb(verb)
                      .withResource(resource)
                      .endResourceAttributes()
                      .endSpec()
                      .build());
    } catch (RuntimeException e) {
      throw new Refused(503, "cannot check access with the Kubernetes API: " + reason(e));
    }
    return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
  }

  /** Refuses with 403 unless {@code ctx}'s caller may see {@code namespace}. */
  public void require(Context ctx, String namespace) {
    Caller caller = caller(ctx);
    if (!allowed(caller, namespace)) {
      throw new Refused(
          403,
          "user "
              + caller.user()
              + " may not "
              + verb
              + " "
              + resource
              + " in namespace "
              + namespace);
    }
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String reason(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return m.lines().findFirst().orElse(m);
  }
}
