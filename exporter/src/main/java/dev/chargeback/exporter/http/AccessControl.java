package dev.chargeback.exporter.http;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Who may see a namespace's bill and usage, as Kubernetes says: the caller's bearer token is
 * checked with a TokenReview, then a SubjectAccessReview asks whether that user may {@code verb}
 * {@code resource} in the namespace (by default {@code get pods}: whoever can see a namespace's
 * pods can see what they cost). Answers are cached briefly; when the API server cannot answer, the
 * request fails closed with 503.
 */
public final class AccessControl {
  /** The authenticated caller. */
  public record Caller(String user, List<String> groups) {}

  /** A refusal, answered with its status and reason. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private record Cached<T>(T value, long until) {}

  private final KubernetesClient client;
  private final String verb;
  private final String resource;
  private final long ttlMillis;
  private final Map<String, Cached<Caller>> callers = new ConcurrentHashMap<>();
  private final Map<String, Cached<Boolean>> decisions = new ConcurrentHashMap<>();

  public AccessControl(KubernetesClient client, String verb, String resource, Duration ttl) {
    this.client = client;
    this.verb = verb;
    this.resource = resource;
    this.ttlMillis = ttl.toMillis();
  }

  /** The caller of {@code ctx}, or 401 (no or bad token) or 503 (API server unreachable). */
  public Caller caller(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() < 8) {
      throw new Refused(401, "a bearer token is required (Authorization: Bearer TOKEN)");
    }
    String token = header.substring(7).strip();
    return cached(callers, sha256(token), () -> review(token));
  }

  private Caller review(String token) {
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
      throw new Refused(401, "the token is not valid");
    }
    var user = review.getStatus().getUser();
    return new Caller(user.getUsername(), user.getGroups() == null ? List.of() : user.getGroups());
  }

  /** The value under {@code key} while fresh, else {@code compute}'s, kept for the TTL. */
  private <T> T cached(Map<String, Cached<T>> cache, String key, Supplier<T> compute) {
    long now = System.currentTimeMillis();
    Cached<T> hit = cache.get(key);
    if (hit != null && hit.until() > now) {
      return hit.value();
    }
    T value = compute.get();
    cache.put(key, new Cached<>(value, now + ttlMillis));
    return value;
  }

  /** Whether {@code caller} may see {@code namespace}; 503 when the API server cannot answer. */
  public boolean allowed(Caller caller, String namespace) {
    String key = caller.user() + '\u0000' + caller.groups() + '\u0000' + namespace;
    return cached(decisions, key, () -> review(caller, namespace));
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
                      .withGroups(caller.groups())
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
