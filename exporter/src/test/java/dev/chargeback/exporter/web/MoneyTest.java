package dev.chargeback.exporter.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class MoneyTest {
  private static final Currency KRW = Currency.getInstance("KRW");
  private static final Currency EUR = Currency.getInstance("EUR");

  @Test
  void amountsTakeTheReadersFormatAndTheCurrencysMinorUnit() {
    assertThat(new Money(Locale.forLanguageTag("en-US"), KRW).amount(new BigDecimal("1234567")))
        .isEqualTo("₩1,234,567");
    assertThat(new Money(Locale.forLanguageTag("ko-KR"), KRW).amount(new BigDecimal("1234567")))
        .isEqualTo("₩1,234,567");
    // German groups with dots and puts the euro after: the same amount, the reader's way.
    assertThat(new Money(Locale.GERMANY, EUR).amount(new BigDecimal("1234.50")))
        .isEqualTo("1.234,50\u00a0€");
    // A unit price keeps the decimals it has beyond the minor unit.
    assertThat(new Money(Locale.US, EUR).amount(new BigDecimal("0.0125"))).isEqualTo("€0.0125");
    assertThat(new Money(Locale.US, KRW).amount(123.6)).isEqualTo("₩124");
    assertThat(new Money(Locale.US, KRW).change(0.125)).isEqualTo("+12.5%");
    assertThat(new Money(Locale.US, KRW).change(null)).isEmpty();
    assertThat(new Money(Locale.US, KRW).change(-0.0004)).isEqualTo("0.0%");
    assertThat(new Money(Locale.US, KRW).change(-0.0251)).isEqualTo("-2.5%");
  }

  @Test
  void theLocaleIsTheFirstLanguageTheBrowserNamesElseEnglish() {
    assertThat(Money.locale("ko-KR,ko;q=0.9,en;q=0.8")).isEqualTo(Locale.forLanguageTag("ko-KR"));
    assertThat(Money.locale("*")).isEqualTo(Locale.ENGLISH);
    assertThat(Money.locale(null)).isEqualTo(Locale.ENGLISH);
    assertThat(Money.locale(";;;q=bad,\u0000")).isEqualTo(Locale.ENGLISH);
  }

  @Test
  void signInGoesBackOnlyToAPathOnThisServer() {
    assertThat(SignIn.next("/ns/team-a?month=2026-11")).isEqualTo("/ns/team-a?month=2026-11");
    for (String away :
        new String[] {
          "//evil.example",
          "/\\evil.example",
          "https://evil.example",
          "",
          null,
          "/x\r\nSet-Cookie: a=b"
        }) {
      assertThat(SignIn.next(away)).as(String.valueOf(away)).isEqualTo("/");
    }
  }

  @Test
  void chartsEscapeWhatTheyWriteAndScaleToANiceCeiling() {
    String svg =
        Svg.stackedBars(
            "costs <of> \"all\"",
            java.util.List.of("1", "2"),
            java.util.List.of(new Svg.Series("<script>&", "#000000", new double[] {3, 7})),
            v -> String.valueOf(v),
            v -> String.valueOf((int) v));
    assertThat(svg)
        .doesNotContain("<script>")
        .contains("&lt;script&gt;&amp;")
        .contains("&quot;all&quot;");
    // The axis tops out at 10 for a largest bar of 7.
    assertThat(svg).contains(">10</text>");
    // One day's bar (a month's first) is a bar, not the whole width.
    String one =
        Svg.stackedBars(
            "one day",
            java.util.List.of("1"),
            java.util.List.of(new Svg.Series("a", "#000000", new double[] {5})),
            v -> String.valueOf(v),
            v -> String.valueOf((int) v));
    assertThat(one).contains("width=\"40.0\"");
    assertThat(Svg.niceCeiling(7)).isEqualTo(10);
    assertThat(Svg.niceCeiling(1.1)).isEqualTo(2);
    assertThat(Svg.niceCeiling(2100)).isEqualTo(2500);
  }
}
