package dev.chargeback.exporter.web;

import dev.chargeback.exporter.http.AccessControl;
import dev.chargeback.exporter.http.BillRoutes;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.Budgets;
import dev.chargeback.meter.store.RollupStore;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.YearMonth;
import java.util.List;
import java.util.Map;

/**
 * The web pages: {@code /} (the month's namespaces), {@code /ns/NAME} (one namespace's month),
 * {@code /signin} and {@code /signout}, and their stylesheet. A page shows only the namespaces its
 * reader may read, by the same checks as {@code /bill}; templates are compiled at build time.
 */
public final class WebRoutes {
  /** What every page's answer carries: nothing loaded from elsewhere, no framing, no caching. */
  private static final Map<String, String> HEADERS =
      Map.of(
          "Content-Security-Policy",
          "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self';"
              + " frame-ancestors 'none'; base-uri 'none'",
          "X-Content-Type-Options",
          "nosniff",
          "Referrer-Policy",
          "same-origin",
          "Cache-Control",
          "no-store");

  private static final TemplateEngine TEMPLATES =
      TemplateEngine.createPrecompiled(
          null,
          ContentType.Html,
          WebRoutes.class.getClassLoader(),
          "dev.chargeback.exporter.web.pages");

  private final RollupStore store;
  private final Biller biller;
  private final AccessControl access;
  private final boolean signInOffered;
  private final Overview overview;
  private final NamespaceView namespaces;
  private final byte[] css;

  /**
   * @param access who may read what; null when access control is off
   * @param signInOffered whether to offer the sign-in form (with access control)
   */
  public WebRoutes(RollupStore store, Biller biller, AccessControl access, boolean signInOffered) {
    this.store = store;
    this.biller = biller;
    this.access = access;
    this.signInOffered = access != null && signInOffered;
    Budgets budgets = new Budgets(store, biller.priceBook());
    this.overview = new Overview(biller, budgets);
    this.namespaces = new NamespaceView(store, biller, budgets);
    try (InputStream in = WebRoutes.class.getResourceAsStream("ui.css")) {
      this.css = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void register(JavalinConfig cfg) {
    cfg.routes.get("/", this::overview);
    cfg.routes.get("/ns/{name}", this::namespace);
    cfg.routes.get(
        "/ui.css",
        ctx ->
            ctx.contentType("text/css; charset=utf-8")
                .header("Cache-Control", "public, max-age=3600")
                .result(css));
    if (signInOffered) {
      cfg.routes.get("/signin", this::signInForm);
      cfg.routes.post("/signin", this::signIn);
      cfg.routes.post("/signout", this::signOut);
    }
  }

  private void overview(Context ctx) {
    Viewer viewer = viewer(ctx);
    if (viewer == null) {
      return;
    }
    List<String> visible;
    try {
      visible = AccessControl.visible(access, ctx, biller.namespaces());
    } catch (AccessControl.Refused e) {
      if (refusedToSignIn(ctx, e)) {
        return;
      }
      throw e;
    }
    String sort = ctx.queryParam("sort");
    if (sort == null || sort.isEmpty()) {
      sort = "cost";
    } else if (!Overview.SORTS.contains(sort)) {
      throw new BillRoutes.BadParameter("parameter sort must be one of " + Overview.SORTS);
    }
    String order = ctx.queryParam("order");
    if (order == null || order.isEmpty()) {
      // Names read A to Z; amounts, highest first.
      order = sort.equals("namespace") ? "asc" : "desc";
    } else if (!List.of("asc", "desc").contains(order)) {
      throw new BillRoutes.BadParameter("parameter order must be asc or desc");
    }
    boolean descending = order.equals("desc");
    String selector = ctx.queryParam("label") == null ? "" : ctx.queryParam("label").strip();
    if (selector.length() > 512) {
      throw new BillRoutes.BadParameter("parameter label is longer than 512 characters");
    }
    YearMonth month = BillRoutes.month(ctx, biller);
    store.catchUp();
    page(
        ctx,
        overviewHtml(
            viewer, visible, new Overview.Query(month, sort, descending, selector), money(ctx)));
  }

  /** The overview as {@code /} renders it for a reader who may see {@code visible}. */
  public String overviewHtml(
      Viewer viewer, List<String> visible, Overview.Query query, Money money) {
    return html("overview.jte", overview.page(viewer, visible, query, money));
  }

  /** A namespace's page as {@code /ns/NAME} renders it. */
  public String namespaceHtml(Viewer viewer, String namespace, YearMonth month, Money money) {
    return html("namespace.jte", namespaces.page(viewer, namespace, month, money));
  }

  private void namespace(Context ctx) {
    String ns = BillRoutes.namespace(ctx.pathParam("name"), "the namespace in the path");
    Viewer viewer = viewer(ctx);
    if (viewer == null) {
      return;
    }
    if (access != null) {
      try {
        access.require(ctx, ns);
      } catch (AccessControl.Refused e) {
        if (refusedToSignIn(ctx, e)) {
          return;
        }
        throw e;
      }
    }
    YearMonth month = BillRoutes.month(ctx, biller);
    store.catchUp();
    page(ctx, namespaceHtml(viewer, ns, month, money(ctx)));
  }

  /**
   * The reader as the page shows them; null when they were sent to sign in first (access control
   * on, no token, sign-in offered).
   */
  private Viewer viewer(Context ctx) {
    if (access == null) {
      return Viewer.OPEN;
    }
    if (!access.hasToken(ctx) && signInOffered) {
      toSignIn(ctx, "");
      return null;
    }
    return new Viewer(true, SignIn.signedIn(ctx), SignIn.csrf(ctx), signInOffered);
  }

  /** A refused sign-in cookie (expired, revoked) sends its holder to sign in again. */
  private boolean refusedToSignIn(Context ctx, AccessControl.Refused e) {
    if (e.status == 401 && signInOffered && SignIn.signedIn(ctx)) {
      SignIn.signOut(ctx);
      toSignIn(ctx, "Your token is no longer accepted; sign in again.");
      return true;
    }
    return false;
  }

  private void toSignIn(Context ctx, String message) {
    String here = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
    ctx.redirect(
        "/signin?next="
            + Pages.url(here)
            + (message.isEmpty() ? "" : "&message=" + Pages.url(message)),
        io.javalin.http.HttpStatus.SEE_OTHER);
  }

  /** The sign-in form's page. */
  public record SignInPage(String csrf, String next, String message, boolean error) {}

  private void signInForm(Context ctx) {
    String message = ctx.queryParam("message");
    render(
        ctx,
        "signin.jte",
        new SignInPage(
            SignIn.csrf(ctx),
            SignIn.next(ctx.queryParam("next")),
            message == null ? "" : message.substring(0, Math.min(200, message.length())),
            false));
  }

  private void signIn(Context ctx) {
    String next = SignIn.next(ctx.formParam("next"));
    if (!SignIn.csrfValid(ctx)) {
      ctx.status(403);
      render(
          ctx,
          "signin.jte",
          new SignInPage(
              SignIn.csrf(ctx),
              next,
              "The form was not the one this server gave you (CSRF check failed); try again.",
              true));
      return;
    }
    String token = ctx.formParam("token") == null ? "" : ctx.formParam("token").strip();
    String problem = "";
    if (!token.matches("[A-Za-z0-9._~+/=-]{1,8192}")) {
      problem = "That is not a token: paste the output of kubectl create token ...";
    } else {
      try {
        access.check(token);
      } catch (AccessControl.Refused e) {
        problem =
            e.status == 401
                ? "Kubernetes does not accept that token."
                : "Cannot check the token now: " + e.getMessage();
      }
    }
    if (!problem.isEmpty()) {
      ctx.status(401);
      render(ctx, "signin.jte", new SignInPage(SignIn.csrf(ctx), next, problem, true));
      return;
    }
    SignIn.signIn(ctx, token);
    ctx.redirect(next, io.javalin.http.HttpStatus.SEE_OTHER);
  }

  private void signOut(Context ctx) {
    if (!SignIn.csrfValid(ctx)) {
      throw new AccessControl.Refused(403, "sign-out needs the page's CSRF token");
    }
    SignIn.signOut(ctx);
    ctx.redirect(
        "/signin?message=" + Pages.url("Signed out."), io.javalin.http.HttpStatus.SEE_OTHER);
  }

  private Money money(Context ctx) {
    return new Money(Money.locale(ctx.header("Accept-Language")), biller.priceBook().currency());
  }

  private static String html(String template, Object page) {
    StringOutput out = new StringOutput();
    TEMPLATES.render(template, page, out);
    return out.toString();
  }

  private static void page(Context ctx, String html) {
    HEADERS.forEach(ctx::header);
    ctx.html(html);
  }

  private static void render(Context ctx, String template, Object page) {
    page(ctx, html(template, page));
  }
}
