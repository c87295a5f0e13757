package dev.chargeback.meter.bill;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.meter.price.Allocation;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Bills as a FOCUS 1.2 cost and usage dataset (CSV): one {@code Usage} row per namespace, bill line
 * and local day with usage, and one {@code Tax} row per namespace and price version. Each line's
 * amount is spread over its days and each version's discount over its rows by largest remainder, so
 * a bill's rows sum exactly to its total (tax rows included). Unit prices and quantities multiply
 * exactly to {@code ListCost} and {@code ContractedCost}; there are no commitments, so {@code
 * EffectiveCost} is {@code BilledCost}. GiB are binary: units are {@code Core-Hours}, {@code
 * GiB-Hours} and {@code GiB}. Unknown values are empty (null).
 */
public final class FocusCsv {
  /** The FOCUS release these columns follow. */
  public static final String VERSION = "1.2";

  static final List<String> COLUMNS =
      List.of(
          "BilledCost",
          "BillingAccountId",
          "BillingAccountName",
          "BillingCurrency",
          "BillingPeriodEnd",
          "BillingPeriodStart",
          "ChargeCategory",
          "ChargeClass",
          "ChargeDescription",
          "ChargeFrequency",
          "ChargePeriodEnd",
          "ChargePeriodStart",
          "ConsumedQuantity",
          "ConsumedUnit",
          "ContractedCost",
          "ContractedUnitPrice",
          "EffectiveCost",
          "InvoiceId",
          "InvoiceIssuerName",
          "ListCost",
          "ListUnitPrice",
          "PricingQuantity",
          "PricingUnit",
          "ProviderName",
          "PublisherName",
          "ResourceId",
          "ResourceName",
          "ResourceType",
          "ServiceCategory",
          "ServiceName",
          "SubAccountId",
          "SubAccountName",
          "Tags",
          "x_Namespace",
          "x_Resource",
          "x_NodeClass",
          "x_Cluster");

  private static final int QUANTITY_SCALE = 6;
  private static final String SERVICE = "Kubernetes namespace";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter UTC =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private FocusCsv() {}

  /**
   * @param account who bills: the billing account, invoice issuer, provider and publisher
   */
  public static byte[] render(List<Bill> bills, BillingCalendar calendar, String account) {
    return render(bills, List.of(), calendar, account);
  }

  /**
   * @param clusters the cluster of each bill ({@code x_Cluster}), in the same order; empty when
   *     they are the own cluster's alone (then {@code x_Cluster} is empty)
   */
  public static byte[] render(
      List<Bill> bills, List<String> clusters, BillingCalendar calendar, String account) {
    StringBuilder out = new StringBuilder();
    BillCsv.row(out, COLUMNS.toArray(String[]::new));
    for (int i = 0; i < bills.size(); i++) {
      new Rows(bills.get(i), clusters.isEmpty() ? "" : clusters.get(i), calendar, account, out)
          .write();
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The rows of one bill. */
  private static final class Rows {
    private final Bill bill;
    private final BillingCalendar calendar;
    private final String account;
    private final StringBuilder out;
    private final int minor;
    private final String tags;
    private final String cluster;

    Rows(Bill bill, String cluster, BillingCalendar calendar, String account, StringBuilder out) {
      this.bill = bill;
      this.cluster = cluster;
      this.calendar = calendar;
      this.account = account;
      this.out = out;
      this.minor = Math.max(0, bill.currency().getDefaultFractionDigits());
      this.tags = tags(bill);
    }

    void write() {
      for (Bill.Segment s : bill.segments()) {
        segment(s);
      }
      // Shared costs spread: an adjustment moving a shared namespace's cost to a tenant, positive
      // on the tenant, negative on the shared namespace, over the days of its price version.
      for (Bill.Share sh : bill.shares()) {
        String amount = sh.amount().toPlainString();
        LocalDate from =
            sh.effectiveFrom().isAfter(bill.periodStart())
                ? sh.effectiveFrom()
                : bill.periodStart();
        row(
            sh.amount(),
            "Adjustment",
            "",
            "Shared cost of namespace "
                + sh.from()
                + " spread to namespace "
                + sh.to()
                + " ("
                + bill.shareLabel(sh)
                + ")",
            from,
            versionEnd(sh.effectiveFrom()),
            "",
            "",
            amount,
            "",
            amount,
            "",
            "Other",
            bill.shareItem(sh),
            "");
      }
      // Changes to previously invoiced (closed) months: adjustments of class Correction, over the
      // corrected month.
      for (Bill.Correction c : bill.corrections()) {
        String amount = c.amount().toPlainString();
        row(
            c.amount(),
            "Adjustment",
            "Correction",
            "Correction for " + c.month() + ": " + c.item() + " of namespace " + bill.namespace(),
            c.month().atDay(1),
            c.month().atEndOfMonth(),
            "",
            "",
            amount,
            "",
            amount,
            "",
            switch (c.item()) {
              case "network_receive", "network_transmit" -> "Networking";
              case "storage" -> "Storage";
              case "discount", "tax" -> "Other";
              default -> "Compute";
            },
            "correction:" + c.item(),
            "");
      }
    }

    /** One usage row: a line's share of one day. */
    private record Usage(
        BillLine line,
        LocalDate day,
        BigDecimal quantity,
        BigDecimal amount,
        BigDecimal listPrice) {}

    private void segment(Bill.Segment s) {
      List<Bill.DailyUsage> days =
          bill.daily().stream().filter(d -> version(d.day()) == s.version()).toList();
      List<Usage> usage = new ArrayList<>();
      for (BillLine line : s.lines()) {
        double[] weights =
            days.stream()
                .mapToDouble(d -> Math.max(0, d.quantity(line.group(), line.resource())))
                .toArray();
        BigDecimal[] amounts = Allocation.allocate(line.amount(), weights, minor);
        BigDecimal listPrice =
            line.resource()
                .price(s.version().listPrices(line.nodeClass()), line.device())
                .stripTrailingZeros();
        for (int i = 0; i < days.size(); i++) {
          if (weights[i] > 0) {
            usage.add(
                new Usage(
                    line,
                    days.get(i).day(),
                    BigDecimal.valueOf(weights[i]).setScale(QUANTITY_SCALE, RoundingMode.HALF_UP),
                    amounts[i],
                    listPrice));
          }
        }
      }
      double[] byAmount = usage.stream().mapToDouble(u -> u.amount().doubleValue()).toArray();
      BigDecimal[] discounts = Allocation.allocate(s.discount(), byAmount, minor);
      BigDecimal list = BigDecimal.ZERO;
      BigDecimal contracted = BigDecimal.ZERO;
      for (int i = 0; i < usage.size(); i++) {
        Usage u = usage.get(i);
        BigDecimal listCost = u.listPrice().multiply(u.quantity());
        BigDecimal contractedPrice = u.line().unitPrice().stripTrailingZeros();
        BigDecimal contractedCost = contractedPrice.multiply(u.quantity());
        list = list.add(listCost);
        contracted = contracted.add(contractedCost);
        BigDecimal billed = u.amount().subtract(discounts[i]);
        BillResource r = u.line().resource();
        String unit = unit(r);
        row(
            billed,
            "Usage",
            "",
            u.line().title() + " of namespace " + bill.namespace() + " on " + u.day(),
            u.day(),
            u.day(),
            plain(u.quantity()),
            unit,
            plain(contractedCost),
            plain(contractedPrice),
            plain(listCost),
            plain(u.listPrice()),
            category(r),
            r.code,
            u.line().nodeClass());
      }
      if (s.tax().signum() != 0 && !days.isEmpty()) {
        BigDecimal rate = s.version().taxRate();
        row(
            s.tax(),
            "Tax",
            "",
            "Tax "
                + rate.movePointRight(2).stripTrailingZeros().toPlainString()
                + "% on namespace "
                + bill.namespace(),
            days.getFirst().day(),
            days.getLast().day(),
            "",
            "",
            plain(contracted.multiply(rate)),
            "",
            plain(list.multiply(rate)),
            "",
            "Other",
            "tax",
            "");
      }
    }

    private void row(
        BigDecimal billed,
        String category,
        String chargeClass,
        String description,
        LocalDate from,
        LocalDate to,
        String quantity,
        String unit,
        String contractedCost,
        String contractedPrice,
        String listCost,
        String listPrice,
        String serviceCategory,
        String resource,
        String nodeClass) {
      String cost = billed.toPlainString();
      String ns = bill.namespace();
      BillCsv.row(
          out,
          cost,
          account,
          account,
          bill.currency().getCurrencyCode(),
          time(bill.month().plusMonths(1).atDay(1)),
          time(bill.month().atDay(1)),
          category,
          chargeClass,
          description,
          chargeClass.isEmpty() ? "Usage-Based" : "One-Time",
          time(to.plusDays(1)),
          time(from),
          quantity,
          unit,
          contractedCost,
          contractedPrice,
          cost,
          bill.billNumber(),
          account,
          listCost,
          listPrice,
          quantity,
          unit,
          account,
          account,
          ns,
          ns,
          "Namespace",
          serviceCategory,
          SERVICE,
          ns,
          ns,
          tags,
          ns,
          resource,
          nodeClass,
          cluster);
    }

    /** The last day of the bill's period priced by the version from {@code effectiveFrom}. */
    private LocalDate versionEnd(LocalDate effectiveFrom) {
      LocalDate end = bill.periodEnd();
      for (Bill.Segment s : bill.segments()) {
        LocalDate next = s.version().effectiveFrom();
        if (next.isAfter(effectiveFrom) && next.minusDays(1).isBefore(end)) {
          end = next.minusDays(1);
        }
      }
      return end;
    }

    private PriceVersion version(LocalDate day) {
      PriceVersion found = null;
      for (Bill.Segment s : bill.segments()) {
        if (!s.version().effectiveFrom().isAfter(day)) {
          found = s.version();
        }
      }
      return found;
    }

    private String time(LocalDate day) {
      return UTC.format(Instant.ofEpochSecond(calendar.startOf(day)));
    }
  }

  private static String tags(Bill bill) {
    if (bill.labels().isEmpty()) {
      return "";
    }
    try {
      return JSON.writeValueAsString(bill.labels());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("labels are plain strings", e);
    }
  }

  private static String unit(BillResource r) {
    return switch (r.unit()) {
      case "core-hours" -> "Core-Hours";
      case "GiB-hours" -> "GiB-Hours";
      case "GPU-hours" -> "GPU-Hours";
      default -> "GiB";
    };
  }

  private static String category(BillResource r) {
    return switch (r) {
      case NETWORK_RECEIVE, NETWORK_TRANSMIT -> "Networking";
      case STORAGE -> "Storage";
      default -> "Compute";
    };
  }

  private static String plain(BigDecimal v) {
    return v.signum() == 0 ? "0" : v.stripTrailingZeros().toPlainString();
  }
}
