package dev.chargeback.meter.price;

import java.math.BigDecimal;

/**
 * Terms for one namespace.
 *
 * @param discount a fraction of the subtotal taken off, 0 ≤ discount ≤ 1 (0.15 = 15 %)
 * @param prices prices that replace the version's for this namespace (any subset)
 */
public record NamespaceTerms(BigDecimal discount, Prices prices) {}
