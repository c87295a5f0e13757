package dev.chargeback.meter.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run in its own JVM by {@link CloseWhileReadingIT}: threads read the store in a tight loop while
 * it closes. Exits 0 when every call either succeeded or failed with a {@link StoreException}; a
 * call on freed native handles would crash the JVM instead.
 */
public final class CloseWhileReading {
  private CloseWhileReading() {}

  public static void main(String[] args) throws Exception {
    RocksKeyValueStore kv = RocksKeyValueStore.openPrimary(Path.of(args[0]), false);
    List<Write> writes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      writes.add(new Write.Put(Family.R1H, Keys.longValue(i), Keys.longValue(i)));
    }
    kv.write(writes);
    AtomicLong calls = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    CountDownLatch reading = new CountDownLatch(4);
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int id = t;
      readers.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    reading.countDown();
                    try {
                      for (long i = 0; ; i++) {
                        if (id % 2 == 0) {
                          kv.get(Family.R1H, Keys.longValue(i % 1000));
                        } else {
                          kv.scan(Family.R1H, Keys.longValue(i % 1000), null, (k, v) -> false);
                        }
                        kv.write(
                            List.of(
                                new Write.Put(Family.META, Keys.longValue(id), Keys.longValue(i))));
                        calls.incrementAndGet();
                      }
                    } catch (StoreException e) {
                      refused.incrementAndGet();
                    }
                  }));
    }
    reading.await();
    Thread.sleep(Long.parseLong(args[1]));
    kv.close();
    for (Thread t : readers) {
      t.join();
    }
    System.out.println("calls " + calls.get() + ", refused after close " + refused.get());
    System.exit(refused.get() == 4 ? 0 : 3);
  }
}
