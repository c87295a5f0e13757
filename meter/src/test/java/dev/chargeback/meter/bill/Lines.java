package dev.chargeback.meter.bill;

import java.util.List;

/** A bill's lines as tests compare them: {@code "CPU · spot 28.0000 × 10 = 280"}. */
final class Lines {
  private Lines() {}

  static List<String> of(Bill bill) {
    return bill.lines().stream()
        .map(
            l ->
                l.title()
                    + " "
                    + l.quantity().toPlainString()
                    + " × "
                    + l.unitPrice().toPlainString()
                    + " = "
                    + l.amount().toPlainString())
        .toList();
  }
}
