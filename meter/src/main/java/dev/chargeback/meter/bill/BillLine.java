package dev.chargeback.meter.bill;

import java.math.BigDecimal;

/**
 * One priced line: {@code amount = round(quantity × unitPrice)} to the currency's minor unit.
 *
 * @param quantity in the resource's priced unit, rounded to 4 decimals
 * @param note "" or e.g. "from 2026-11-15" when the price changed within the month
 * @param nodeClass the price book's node class the usage ran on, "" for nodes of no class
 * @param device a GPU line's device ("" for whole GPUs, a MIG profile), a storage line's
 *     StorageClass when the price book prices it apart; else ""
 * @param cluster the cluster the usage ran in, on a bill of several clusters; else ""
 */
public record BillLine(
    BillResource resource,
    String note,
    BigDecimal quantity,
    BigDecimal unitPrice,
    BigDecimal amount,
    String nodeClass,
    String device,
    String cluster) {

  public BillLine {
    // A final bill stored before node classes (or GPUs, or clusters) existed has none.
    nodeClass = nodeClass == null ? "" : nodeClass;
    device = device == null ? "" : device;
    cluster = cluster == null ? "" : cluster;
  }

  public BillLine(
      BillResource resource,
      String note,
      BigDecimal quantity,
      BigDecimal unitPrice,
      BigDecimal amount,
      String nodeClass,
      String device) {
    this(resource, note, quantity, unitPrice, amount, nodeClass, device, "");
  }

  /** This line, of usage in {@code name}. */
  BillLine inCluster(String name) {
    return new BillLine(resource, note, quantity, unitPrice, amount, nodeClass, device, name);
  }

  /** A line on nodes of no class. */
  public BillLine(
      BillResource resource,
      String note,
      BigDecimal quantity,
      BigDecimal unitPrice,
      BigDecimal amount) {
    this(resource, note, quantity, unitPrice, amount, "", "");
  }

  /**
   * The line's name as bills print it: its cluster (on a bill of several), the resource's title and
   * device, then its node class.
   */
  public String title() {
    String name = device.isEmpty() ? resource.title : resource.title + " " + device;
    name = nodeClass.isEmpty() ? name : name + " · " + nodeClass;
    return cluster.isEmpty() ? name : cluster + " · " + name;
  }

  /** This line's group ({@link #group(String, String)}, {@link #storageGroup(String)}). */
  String group() {
    if (resource.gpu()) {
      return group(nodeClass, device);
    }
    return device.isEmpty() ? nodeClass : STORAGE_CLASS + device;
  }

  /** The group (and placement) of claims of a StorageClass priced apart: {@code sc/NAME}. */
  static final String STORAGE_CLASS = "sc/";

  /** Whether a group is a StorageClass's claims. */
  static boolean storageGroup(String group) {
    return group.startsWith(STORAGE_CLASS);
  }

  /**
   * Where a day's quantities were used, as bills group them: the node class ("" for none), and for
   * GPU time {@code CLASS#DEVICE}.
   */
  static String group(String nodeClass, String device) {
    return nodeClass + "#" + device;
  }

  /** The node class of a group. */
  static String groupClass(String group) {
    if (storageGroup(group)) {
      return "";
    }
    int hash = group.indexOf('#');
    return hash < 0 ? group : group.substring(0, hash);
  }

  /** The device of a group (GPU device, StorageClass), or "" for a group of no device. */
  static String groupDevice(String group) {
    if (storageGroup(group)) {
      return group.substring(STORAGE_CLASS.length());
    }
    int hash = group.indexOf('#');
    return hash < 0 ? "" : group.substring(hash + 1);
  }

  /** Whether a group is GPU time. */
  static boolean gpuGroup(String group) {
    return group.indexOf('#') >= 0;
  }

  /** The priced unit of the quantity. */
  public String unit() {
    return resource.unit();
  }
}
