package dev.chargeback.meter.bill;

import dev.chargeback.meter.time.BillingCalendar;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Every bill of a month in one zip: {@code bills-MONTH.csv} (all lines, one sheet), {@code
 * focus-MONTH.csv} (the FOCUS dataset) and one PDF per namespace. PDFs are rendered a few at a time
 * on every core and written in namespace order as they come, so memory holds a handful of PDFs, not
 * the month's.
 */
public final class BillArchive {
  private static final int AHEAD = 16;

  private BillArchive() {}

  /** Writes the zip of {@code bills} to {@code out} (not closed). */
  public static void write(
      List<Bill> bills, BillPdf pdf, BillingCalendar calendar, String month, OutputStream out)
      throws IOException {
    ZipOutputStream zip = new ZipOutputStream(out);
    zip.putNextEntry(new ZipEntry("bills-" + month + ".csv"));
    zip.write(BillCsv.render(bills));
    zip.closeEntry();
    zip.putNextEntry(new ZipEntry("focus-" + month + ".csv"));
    zip.write(FocusCsv.render(bills, calendar, pdf.issuer()));
    zip.closeEntry();
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      for (int from = 0; from < bills.size(); from += AHEAD) {
        List<Bill> batch = bills.subList(from, Math.min(bills.size(), from + AHEAD));
        List<Future<byte[]>> rendered =
            batch.stream().map(b -> pool.submit(() -> pdf.render(b))).toList();
        for (int i = 0; i < batch.size(); i++) {
          zip.putNextEntry(new ZipEntry("bill-" + batch.get(i).namespace() + "-" + month + ".pdf"));
          zip.write(get(rendered.get(i)));
          zip.closeEntry();
        }
      }
    }
    zip.finish();
  }

  private static byte[] get(Future<byte[]> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while rendering bills", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(e.getCause());
    }
  }
}
