package dev.trellis.proxy.http.filter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.proxy.route.RateLimit;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    static final long SECOND = 1_000_000_000L;

    @Test
    void startsFullThenRefillsByTheFillUpToItsSize() {
        TokenBucket bucket = new TokenBucket(new RateLimit(3, 2, Duration.ofSeconds(1)), 0);
        assertThat(bucket.tryTake(0)).isTrue();
        assertThat(bucket.tryTake(0)).isTrue();
        assertThat(bucket.tryTake(0)).isTrue();
        assertThat(bucket.tryTake(SECOND / 2)).isFalse();
        assertThat(bucket.tryTake(SECOND)).isTrue();
        assertThat(bucket.tryTake(SECOND)).isTrue();
        assertThat(bucket.tryTake(SECOND)).isFalse();
        // Ten fills later the bucket holds its size, not twenty tokens.
        int taken = 0;
        while (bucket.tryTake(11 * SECOND)) {
            taken++;
        }
        assertThat(taken).isEqualTo(3);
    }

    @Test
    void everyEventLoopSharesTheOneBucket() throws Exception {
        TokenBucket bucket = new TokenBucket(new RateLimit(1000, 1, Duration.ofHours(1)), System.nanoTime());
        AtomicInteger taken = new AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    if (bucket.tryTake(System.nanoTime())) {
                        taken.incrementAndGet();
                    }
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(taken.get()).isEqualTo(1000);
    }
}
