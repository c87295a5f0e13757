package dev.chargeback.meter.price;

import dev.chargeback.meter.exposition.LabelSelector;
import java.math.BigDecimal;

/**
 * A monthly budget in the price book's currency, for one namespace or for every namespace whose
 * labels (those chargeback keeps, {@code discovery.namespaceLabels}) a selector matches.
 *
 * @param namespace the namespace, or null when {@code selector} says
 * @param selector e.g. {@code team=payments}, or null when {@code namespace} says
 */
public record Budget(String namespace, LabelSelector selector, BigDecimal amount) {}
