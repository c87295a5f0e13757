package dev.chargeback.exporter.web;

import dev.chargeback.exporter.http.AccessControl;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The sign-in cookie and the forms' CSRF token. The token a visitor pastes (e.g. from {@code
 * kubectl create token}) is kept in an HttpOnly, Secure, SameSite=Strict cookie that every request
 * then carries; the forms that change it (sign in, sign out) carry a random token that must equal
 * their own CSRF cookie (double submit), so another site cannot sign a visitor in or out.
 */
public final class SignIn {
  /** The CSRF cookie. */
  public static final String CSRF_COOKIE = "chargeback_csrf";

  /** How long a sign-in lasts at most (the token's own expiry may come first). */
  static final int MAX_AGE_SECONDS = 8 * 3600;

  private static final SecureRandom RANDOM = new SecureRandom();

  private SignIn() {}

  /** The visitor's CSRF token, set as a cookie when they have none yet. */
  static String csrf(Context ctx) {
    String token = ctx.cookie(CSRF_COOKIE);
    if (token == null || !token.matches("[A-Za-z0-9_-]{43}")) {
      byte[] bytes = new byte[32];
      RANDOM.nextBytes(bytes);
      token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      cookie(ctx, CSRF_COOKIE, token, -1);
    }
    return token;
  }

  /** Whether a submitted form's CSRF token is the visitor's cookie's. */
  static boolean csrfValid(Context ctx) {
    String cookie = ctx.cookie(CSRF_COOKIE);
    String field = ctx.formParam("csrf");
    return cookie != null
        && field != null
        && MessageDigest.isEqual(
            cookie.getBytes(StandardCharsets.UTF_8), field.getBytes(StandardCharsets.UTF_8));
  }

  /** Keeps {@code token} in the sign-in cookie. */
  static void signIn(Context ctx, String token) {
    cookie(ctx, AccessControl.TOKEN_COOKIE, token, MAX_AGE_SECONDS);
  }

  /** Forgets the sign-in cookie. */
  static void signOut(Context ctx) {
    cookie(ctx, AccessControl.TOKEN_COOKIE, "", 0);
  }

  /** Whether the request carries a sign-in cookie. */
  static boolean signedIn(Context ctx) {
    String c = ctx.cookie(AccessControl.TOKEN_COOKIE);
    return c != null && !c.isEmpty();
  }

  /**
   * @param maxAge seconds, 0 to delete, negative for the browser session
   */
  private static void cookie(Context ctx, String name, String value, int maxAge) {
    ctx.res()
        .addHeader(
            "Set-Cookie",
            name
                + "="
                + value
                + "; Path=/; HttpOnly; Secure; SameSite=Strict"
                + (maxAge >= 0 ? "; Max-Age=" + maxAge : ""));
  }

  /** Where to go after signing in: a path on this server, never another site. */
  static String next(String next) {
    if (next == null
        || !next.startsWith("/")
        || next.startsWith("//")
        || next.startsWith("/\\")
        || next.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return "/";
    }
    return next;
  }
}
