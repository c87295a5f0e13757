package dev.chargeback.meter.price;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PriceBookLoaderTest {
  private static final String VERSION =
      "  - effectiveFrom: \"2026-01-01\"\n"
          + "    prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}\n";

  @Test
  void theDefaultBookLoadsAndPricesInWon() {
    PriceBook book = PriceBookLoader.defaults();
    assertThat(book.currency().getCurrencyCode()).isEqualTo("KRW");
    assertThat(book.currency().getDefaultFractionDigits()).isZero();
    PriceVersion v = book.at(LocalDate.of(2026, 11, 1));
    assertThat(v.basis()).isEqualTo(Basis.USAGE);
    assertThat(v.prices().storageGibHour()).isEqualByComparingTo("0.2");
    assertThat(book.at(LocalDate.of(2025, 12, 31))).isNull();
  }

  @Test
  void aClusterSectionPricesThatClusterAndTheRestKeepTheBooksVersions() {
    String yaml =
        """
        currency: USD
        versions:
          - effectiveFrom: "2026-01-01"
            prices: {cpuCoreHour: 0.04, memoryGibHour: 0.005, networkReceiveGib: 0, networkTransmitGib: 0.09, storageGibHour: 0.0001}
        clusters:
          gpu-east:
            versions:
              - effectiveFrom: "2026-01-01"
                prices: {cpuCoreHour: 0.08, memoryGibHour: 0.005, networkReceiveGib: 0, networkTransmitGib: 0.09, storageGibHour: 0.0001}
        """;
    PriceBook book = PriceBookLoader.parse(yaml, "book.yaml");
    LocalDate day = LocalDate.parse("2026-11-02");
    assertThat(book.forCluster("gpu-east").at(day).prices().cpuCoreHour())
        .isEqualByComparingTo("0.08");
    assertThat(book.forCluster("west").at(day).prices().cpuCoreHour()).isEqualByComparingTo("0.04");
    assertThat(book.forCluster("gpu-east").currency()).isEqualTo(book.currency());
    assertThatThrownBy(
            () ->
                PriceBookLoader.parse(
                    yaml.replace(
                        "2026-01-01\"\n        prices: {cpuCoreHour: 0.08",
                        "soon\"\n        prices: {cpuCoreHour: 0.08"),
                    "book.yaml"))
        .hasMessageContaining("clusters.gpu-east.versions[0].effectiveFrom");
  }

  @Test
  void namespaceTermsOverrideSomePrices() {
    PriceBook book =
        PriceBookLoader.parse(
            "currency: usd\nversions:\n"
                + VERSION
                + "    namespaces:\n      team-b: {discount: 0.2, prices: {cpuCoreHour: 40}}\n",
            "t");
    PriceVersion v = book.versions().getFirst();
    assertThat(v.pricesFor("team-b").cpuCoreHour()).isEqualByComparingTo("40");
    assertThat(v.pricesFor("team-b").memoryGibHour()).isEqualByComparingTo("6");
    assertThat(v.discountFor("team-b")).isEqualByComparingTo("0.2");
    assertThat(v.discountFor("other")).isZero();
  }

  @Test
  void nodeClassesPriceTheirNodesFirstMatchWins() {
    PriceBook book =
        PriceBookLoader.parse(
            "currency: KRW\nversions:\n"
                + VERSION
                + "    namespaces:\n      team-b: {prices: {cpuCoreHour: 40}}\n"
                + "    nodeClasses:\n"
                + "      - {name: gpu-h100, selector: \"nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3\","
                + " prices: {cpuCoreHour: 60}}\n"
                + "      - {name: spot, selector: \"karpenter.sh/capacity-type=spot\","
                + " prices: {cpuCoreHour: 15, memoryGibHour: 2}}\n",
            "t");
    PriceVersion v = book.versions().getFirst();
    Map<String, String> spotH100 =
        Map.of(
            "nvidia.com/gpu.product",
            "NVIDIA-H100-80GB-HBM3",
            "karpenter.sh/capacity-type",
            "spot");
    assertThat(v.classOf(spotH100)).isEqualTo("gpu-h100");
    assertThat(v.classOf(Map.of("karpenter.sh/capacity-type", "spot"))).isEqualTo("spot");
    assertThat(v.classOf(Map.of("karpenter.sh/capacity-type", "on-demand"))).isEmpty();
    // A class's prices win for what it prices (over the namespace's own); the rest as elsewhere.
    assertThat(v.pricesFor("team-b", "spot").cpuCoreHour()).isEqualByComparingTo("15");
    assertThat(v.pricesFor("team-b", "spot").storageGibHour()).isEqualByComparingTo("0.2");
    assertThat(v.pricesFor("team-b", "").cpuCoreHour()).isEqualByComparingTo("40");
    assertThat(book.nodeLabelKeys())
        .containsExactly("karpenter.sh/capacity-type", "nvidia.com/gpu.product");
  }

  static Stream<Arguments> badBooks() {
    String head = "currency: KRW\nversions:\n" + VERSION;
    return Stream.of(
        Arguments.of(head + "    colour: red\n", "unknown key 'versions[0].colour'"),
        Arguments.of(
            "currency: KRW\nversions:\n"
                + VERSION.replace(
                    "storageGibHour: 0.2}", "storageGibHour: 0.2, migHour: {big: 1}}"),
            "key 'versions[0].prices.migHour.big': 'big' is not a MIG profile"),
        Arguments.of(
            "currency: KRW\nversions:\n"
                + VERSION.replace(
                    "storageGibHour: 0.2}", "storageGibHour: 0.2, storageClassGibHour: {ssd: -1}}"),
            "key 'versions[0].prices.storageClassGibHour.ssd': must be a price, not negative"),
        Arguments.of(
            head + "    nodeClasses:\n      - {name: spot, selector: \"\", prices: {}}\n",
            "key 'versions[0].nodeClasses[0].selector': empty (it would match every node)"),
        Arguments.of(
            head + "    nodeClasses:\n      - {name: Spot!, selector: \"a=b\", prices: {}}\n",
            "key 'versions[0].nodeClasses[0].name': 'Spot!' is not a lowercase name"),
        Arguments.of(
            head
                + "    nodeClasses:\n      - {name: spot, selector: \"a=b\", prices: {}}\n"
                + "      - {name: spot, selector: \"c=d\", prices: {}}\n",
            "key 'versions[0].nodeClasses[1].name': 'spot' is named twice"),
        Arguments.of(
            head + "    nodeClasses:\n      - {name: spot, selector: \"a=b\", price: {}}\n",
            "unknown key 'versions[0].nodeClasses[0].price'"),
        Arguments.of(
            head
                + "    nodeClasses:\n      - {name: spot, selector: \"a=b\","
                + " prices: {cpuCoreHour: -1}}\n",
            "key 'versions[0].nodeClasses[0].prices.cpuCoreHour': must not be negative"),
        Arguments.of(
            "currency: XYZ\nversions:\n" + VERSION,
            "key 'currency': 'XYZ' is not an ISO 4217 currency"),
        Arguments.of(
            "currency: KRW\nversions: []\n", "key 'versions': at least one version is needed"),
        Arguments.of(
            "currency: KRW\nversions:\n  - effectiveFrom: \"2026-01-01\"\n    prices: {cpuCoreHour: 45}\n",
            "key 'versions[0].prices.memoryGibHour': missing"),
        Arguments.of(
            head + "    basis: wishful\n",
            "key 'versions[0].basis': 'wishful' is not one of usage, request, max"),
        Arguments.of(head + "    taxRate: 10\n", "key 'versions[0].taxRate': must be a fraction"),
        Arguments.of(
            head + VERSION,
            "key 'versions[1].effectiveFrom': versions must be in increasing date order"),
        Arguments.of(
            "currency: KRW\nversions:\n  - effectiveFrom: \"1 May\"\n",
            "key 'versions[0].effectiveFrom': '1 May' is not a date"),
        Arguments.of(
            head + "    namespaces:\n      a: {discount: -0.1}\n",
            "key 'versions[0].namespaces.a.discount': must be a fraction"),
        Arguments.of(
            head + "    namespaces:\n      a: {prices: {cpuCoreHour: -1}}\n",
            "key 'versions[0].namespaces.a.prices.cpuCoreHour': must not be negative"),
        Arguments.of(
            head + "budgets:\n  - {namespace: a, selector: team=x, amount: 5}\n",
            "key 'budgets[0].namespace': give either a namespace or a selector"),
        Arguments.of(head + "budgets:\n  - {namespace: a}\n", "key 'budgets[0].amount': missing"),
        Arguments.of(
            head + "budgets:\n  - {namespace: a, amount: 1}\n  - {namespace: b, amount: -1}\n",
            "key 'budgets[1].amount': must not be negative"),
        Arguments.of(
            head + "budgets:\n  - {selector: \"team=a b\", amount: 1}\n",
            "key 'budgets[0].selector': label selector term 'team=a b' is not k=v"),
        Arguments.of(
            head + "budgets:\n  - {namespace: a, amount: 1, owner: x}\n",
            "unknown key 'budgets[0].owner'"));
  }

  @ParameterizedTest
  @MethodSource("badBooks")
  void badBooksNameTheKey(String yaml, String message) {
    assertThatThrownBy(() -> PriceBookLoader.parse(yaml, "book.yaml"))
        .isInstanceOf(PriceBookException.class)
        .hasMessageContaining("book.yaml")
        .hasMessageContaining(message);
  }
}
