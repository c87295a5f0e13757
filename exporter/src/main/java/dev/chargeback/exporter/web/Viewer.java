package dev.chargeback.exporter.web;

/**
 * Who is looking, as the pages show it: whether access control is on, whether a sign-in cookie is
 * what let them in (then a sign-out form, with its CSRF token), and whether sign-in is offered.
 */
public record Viewer(boolean accessControl, boolean signedIn, String csrf, boolean signInOffered) {
  /** Access control off: everything visible, nothing to sign in to. */
  public static final Viewer OPEN = new Viewer(false, false, "", false);
}
