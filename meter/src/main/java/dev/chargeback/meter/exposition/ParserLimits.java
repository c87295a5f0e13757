package dev.chargeback.meter.exposition;

/**
 * Bounds that keep a hostile or broken target from exhausting memory.
 *
 * @param maxLineBytes longest accepted line, in bytes
 * @param maxLabels most labels accepted on one sample
 * @param maxBodyBytes largest accepted body, in bytes
 */
public record ParserLimits(int maxLineBytes, int maxLabels, long maxBodyBytes) {
  /** 256 KiB lines, 64 labels, 256 MiB bodies: far above any real kubelet, far below harm. */
  public static final ParserLimits DEFAULT = new ParserLimits(256 * 1024, 64, 256L << 20);

  public ParserLimits {
    if (maxLineBytes < 64 || maxLabels < 1 || maxBodyBytes < 1) {
      throw new IllegalArgumentException(
          "parser limits too small: maxLineBytes>=64, maxLabels>=1, maxBodyBytes>=1");
    }
  }
}
