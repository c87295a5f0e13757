package dev.chargeback.meter.store;

class MemoryKeyValueStoreTest extends StoreContract {
  @Override
  KeyValueStore open() {
    return new MemoryKeyValueStore();
  }

  @Override
  KeyValueStore reopen() {
    // Memory survives only as long as the object: a "restart" keeps the same instance.
    return kv;
  }
}
