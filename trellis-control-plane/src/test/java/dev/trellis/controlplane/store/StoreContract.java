package dev.trellis.controlplane.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every {@link Store} keeps, modelled on etcd v3. An implementation passes it by
 * extending this class; the embedded store and an etcd-backed one must pass the very same tests.
 * Waits are generous and nothing here asserts how fast anything is.
 */
public abstract class StoreContract {
    /** Generous: the machines running these tests are shared and noisy. */
    protected static final Duration PATIENCE = Duration.ofSeconds(30);

    /** The store under test, replaced by {@link #restart}. */
    protected Store store;

    /** A store on this test's data: empty when a test starts; after the last one closed, the same data again. */
    protected abstract Store open() throws Exception;

    /**
     * Stops {@code running} and the whole store behind it (for a client of a server, the server
     * too), then starts it again on the same data, as after a crash-free restart.
     */
    protected abstract Store restart(Store running) throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = open();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    protected static ConditionFactory eventually() {
        return await().atMost(PATIENCE).pollInterval(Duration.ofMillis(20));
    }

    protected static void eventually(ThrowingRunnable assertion) {
        eventually().untilAsserted(assertion);
    }

    private String value(String key) {
        return store.get(key).first().map(KeyValue::valueAsString).orElse(null);
    }

    private List<String> keys(RangeResult r) {
        return r.kvs().stream().map(KeyValue::key).toList();
    }

    // ---- revisions, versions, reads ---------------------------------------------------------

    @Test
    void anEmptyStoreIsAtRevisionZero() {
        assertThat(store.revision()).isZero();
        assertThat(store.range("")).isEqualTo(new RangeResult(List.of(), 0));
        assertThat(store.get("/x")).isEqualTo(new RangeResult(List.of(), 0));
    }

    @Test
    void everyWriteAddsExactlyOneRevisionWhateverItsSize() {
        assertThat(store.put("/r/a", bytes("1"))).isEqualTo(1);
        assertThat(store.put("/r/b", bytes("2"))).isEqualTo(2);
        assertThat(store.delete("/r/a")).isEqualTo(new DeleteResult(1, 3));
        TxnResult txn = store.txn(List.of(), List.of(Op.put("/r/c", bytes("3")), Op.put("/r/d", bytes("4")), Op.put("/r/e", bytes("5"))), List.of());
        assertThat(txn.revision()).isEqualTo(4);
        assertThat(store.deletePrefix("/r/")).isEqualTo(new DeleteResult(4, 5));
        assertThat(store.revision()).isEqualTo(5);
        assertThat(store.get("/r/a").revision()).isEqualTo(5);
    }

    @Test
    void writesThatChangeNothingAddNoRevision() {
        store.put("/n/a", bytes("1"));
        assertThat(store.delete("/n/missing")).isEqualTo(new DeleteResult(0, 1));
        assertThat(store.deletePrefix("/n/missing/")).isEqualTo(new DeleteResult(0, 1));
        assertThat(store.txn(List.of(), List.of(Op.get("/n/a")), List.of()).revision()).isEqualTo(1);
        assertThat(store.txn(List.of(Compare.absent("/n/a")), List.of(Op.put("/n/b", bytes("2"))), List.of()).revision()).isEqualTo(1);
        Lease lease = store.grant(Duration.ofSeconds(30));
        assertThat(store.revoke(lease.id())).isEqualTo(1);
        assertThat(store.revision()).isEqualTo(1);
    }

    @Test
    void aKeyValueTracksItsCreateAndModRevisionsAndVersion() {
        long created = store.put("/k", bytes("a"));
        long modified = store.put("/k", bytes("b"));
        assertThat(store.get("/k").first()).contains(new KeyValue("/k", bytes("b"), created, modified, 2, 0));

        store.delete("/k");
        long recreated = store.put("/k", bytes("c"));
        assertThat(store.get("/k").first()).contains(new KeyValue("/k", bytes("c"), recreated, recreated, 1, 0));
    }

    @Test
    void aPrefixSelectsExactlyItsKeysSortedByTheirBytes() {
        // Java sorts U+FFFD after U+1F600 (a surrogate pair); etcd sorts by UTF-8 bytes, the other way round.
        for (String key : List.of("/b", "/ab", "/a/2", "/a/\uD83D\uDE00", "/a", "/a/\uFFFD", "/a/1")) {
            store.put(key, bytes(key));
        }
        assertThat(keys(store.range("/a/"))).containsExactly("/a/1", "/a/2", "/a/\uFFFD", "/a/\uD83D\uDE00");
        assertThat(keys(store.range("/a"))).containsExactly("/a", "/a/1", "/a/2", "/a/\uFFFD", "/a/\uD83D\uDE00", "/ab");
        assertThat(keys(store.range(""))).containsExactly("/a", "/a/1", "/a/2", "/a/\uFFFD", "/a/\uD83D\uDE00", "/ab", "/b");
        assertThat(keys(store.get("/a"))).containsExactly("/a");
        assertThat(store.range("/a/").revision()).isEqualTo(7);
    }

    @Test
    void rangeAtReadsThePastAsItWas() {
        store.put("/p/x", bytes("x1"));
        store.put("/p/y", bytes("y1"));
        store.put("/p/x", bytes("x2"));
        store.delete("/p/y");

        assertThat(store.rangeAt("/p/", 1).kvs()).containsExactly(new KeyValue("/p/x", bytes("x1"), 1, 1, 1, 0));
        assertThat(keys(store.rangeAt("/p/", 2))).containsExactly("/p/x", "/p/y");
        assertThat(store.rangeAt("/p/", 3).kvs()).containsExactly(
                new KeyValue("/p/x", bytes("x2"), 1, 3, 2, 0), new KeyValue("/p/y", bytes("y1"), 2, 2, 1, 0));
        assertThat(store.rangeAt("/p/", 4).kvs()).containsExactly(new KeyValue("/p/x", bytes("x2"), 1, 3, 2, 0));
        assertThat(store.rangeAt("/p/", 2).revision()).as("the store's revision when read, as etcd's header").isEqualTo(4);

        assertThatThrownBy(() -> store.rangeAt("/p/", 5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5");
        assertThatThrownBy(() -> store.rangeAt("/p/", 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deletePrefixDeletesOnlyUnderThePrefixInOneRevision() {
        store.put("/d/1", bytes("1"));
        store.put("/d/2", bytes("2"));
        store.put("/dd", bytes("3"));
        store.put("/d", bytes("4"));
        DeleteResult deleted = store.deletePrefix("/d/");
        assertThat(deleted).isEqualTo(new DeleteResult(2, 5));
        assertThat(keys(store.range(""))).containsExactly("/d", "/dd");
        assertThat(keys(store.rangeAt("/d/", 4))).containsExactly("/d/1", "/d/2");
    }

    @Test
    void badKeysAreRefusedAndChangeNothing() {
        store.put("/ok", bytes("1"));
        assertThatThrownBy(() -> store.put("", bytes("v"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty key");
        assertThatThrownBy(() -> store.get("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.put("/bad\uD800", bytes("v"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("surrogate");
        assertThatThrownBy(() -> store.txn(List.of(), List.of(Op.put("/fine", bytes("v")), Op.put("", bytes("v"))), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.revision()).isEqualTo(1);
        assertThat(keys(store.range(""))).containsExactly("/ok");
    }

    // ---- transactions ------------------------------------------------------------------------

    /** State for compares: /c created at 2, modified at 3, version 2, value "n"; /u is "é" (bytes C3 A9). */
    static Stream<Arguments> compares() {
        return Stream.of(
                compare(Compare.value("/c", Compare.Result.EQUAL, bytes("n")), true),
                compare(Compare.value("/c", Compare.Result.EQUAL, bytes("m")), false),
                compare(Compare.value("/c", Compare.Result.NOT_EQUAL, bytes("m")), true),
                compare(Compare.value("/c", Compare.Result.NOT_EQUAL, bytes("n")), false),
                compare(Compare.value("/c", Compare.Result.GREATER, bytes("m")), true),
                compare(Compare.value("/c", Compare.Result.GREATER, bytes("n")), false),
                compare(Compare.value("/c", Compare.Result.LESS, bytes("o")), true),
                compare(Compare.value("/c", Compare.Result.LESS, bytes("n")), false),
                compare(Compare.value("/u", Compare.Result.GREATER, bytes("z")), true), // unsigned bytes, as etcd
                compare(Compare.version("/c", Compare.Result.EQUAL, 2), true),
                compare(Compare.version("/c", Compare.Result.EQUAL, 1), false),
                compare(Compare.version("/c", Compare.Result.NOT_EQUAL, 1), true),
                compare(Compare.version("/c", Compare.Result.NOT_EQUAL, 2), false),
                compare(Compare.version("/c", Compare.Result.GREATER, 1), true),
                compare(Compare.version("/c", Compare.Result.GREATER, 2), false),
                compare(Compare.version("/c", Compare.Result.LESS, 3), true),
                compare(Compare.version("/c", Compare.Result.LESS, 2), false),
                compare(Compare.createRevision("/c", Compare.Result.EQUAL, 2), true),
                compare(Compare.createRevision("/c", Compare.Result.EQUAL, 3), false),
                compare(Compare.createRevision("/c", Compare.Result.NOT_EQUAL, 3), true),
                compare(Compare.createRevision("/c", Compare.Result.NOT_EQUAL, 2), false),
                compare(Compare.createRevision("/c", Compare.Result.GREATER, 1), true),
                compare(Compare.createRevision("/c", Compare.Result.GREATER, 2), false),
                compare(Compare.createRevision("/c", Compare.Result.LESS, 3), true),
                compare(Compare.createRevision("/c", Compare.Result.LESS, 2), false),
                compare(Compare.modRevision("/c", Compare.Result.EQUAL, 3), true),
                compare(Compare.modRevision("/c", Compare.Result.EQUAL, 2), false),
                compare(Compare.modRevision("/c", Compare.Result.NOT_EQUAL, 2), true),
                compare(Compare.modRevision("/c", Compare.Result.NOT_EQUAL, 3), false),
                compare(Compare.modRevision("/c", Compare.Result.GREATER, 2), true),
                compare(Compare.modRevision("/c", Compare.Result.GREATER, 3), false),
                compare(Compare.modRevision("/c", Compare.Result.LESS, 4), true),
                compare(Compare.modRevision("/c", Compare.Result.LESS, 3), false),
                compare(Compare.absent("/none"), true),
                compare(Compare.absent("/c"), false),
                compare(Compare.present("/c"), true),
                compare(Compare.present("/none"), false),
                compare(Compare.version("/none", Compare.Result.EQUAL, 0), true),
                compare(Compare.modRevision("/none", Compare.Result.EQUAL, 0), true),
                compare(Compare.value("/none", Compare.Result.EQUAL, bytes("")), false), // etcd: a value compare on a missing key fails
                compare(Compare.value("/none", Compare.Result.NOT_EQUAL, bytes("x")), false));
    }

    private static Arguments compare(Compare compare, boolean holds) {
        return Arguments.of(compare, holds);
    }

    @ParameterizedTest(name = "{0} holds: {1}")
    @MethodSource("compares")
    void aCompareDecidesTheBranch(Compare compare, boolean holds) {
        store.put("/other", bytes("x"));
        store.put("/c", bytes("m"));
        store.put("/c", bytes("n"));
        store.put("/u", bytes("é"));

        TxnResult result = store.txn(List.of(compare), List.of(Op.put("/result", bytes("success"))), List.of(Op.put("/result", bytes("failure"))));

        assertThat(result.succeeded()).isEqualTo(holds);
        assertThat(value("/result")).isEqualTo(holds ? "success" : "failure");
        assertThat(result.revision()).isEqualTo(5);
    }

    @Test
    void everyCompareMustHold() {
        store.put("/a", bytes("1"));
        TxnResult result = store.txn(List.of(Compare.present("/a"), Compare.present("/b")), List.of(Op.put("/x", bytes("s"))),
                List.of(Op.get("/a")));
        assertThat(result.succeeded()).isFalse();
        assertThat(result.result(0, RangeResult.class).kvs()).extracting(KeyValue::valueAsString).containsExactly("1");
        assertThat(store.get("/x").kvs()).isEmpty();
    }

    @Test
    void aTxnIsOneRevisionAndReturnsEachOperationsResult() {
        store.put("/t/old", bytes("o"));
        TxnResult result = store.txn(List.of(Compare.absent("/t/lock")),
                List.of(Op.put("/t/1", bytes("a")), Op.put("/t/2", bytes("b")), Op.delete("/t/old"), Op.get("/t/1"), Op.range("/t/")),
                List.of());

        assertThat(result.succeeded()).isTrue();
        assertThat(result.revision()).isEqualTo(2);
        assertThat(result.results()).hasSize(5);
        assertThat(result.result(0, PutResult.class)).isEqualTo(new PutResult(2));
        assertThat(result.result(2, DeleteResult.class)).isEqualTo(new DeleteResult(1, 2));
        assertThat(result.result(3, RangeResult.class).kvs()).containsExactly(new KeyValue("/t/1", bytes("a"), 2, 2, 1, 0));
        assertThat(keys(result.result(4, RangeResult.class))).as("later operations see earlier ones").containsExactly("/t/1", "/t/2");
        assertThat(store.range("/t/").kvs()).allSatisfy(kv -> assertThat(kv.modRevision()).isEqualTo(2));
        assertThat(store.revision()).isEqualTo(2);
    }

    @Test
    void aFailedTxnAppliesNothing() {
        store.put("/f/a", bytes("old"));
        store.put("/f/b", bytes("doomed"));
        List<Op> ops = List.of(Op.put("/f/a", bytes("new")), Op.delete("/f/b"), Op.put("/f/c", bytes("c"), 987_654_321L));

        assertThatThrownBy(() -> store.txn(List.of(), ops, List.of())).isInstanceOf(LeaseNotFoundException.class);
        assertThatThrownBy(() -> store.txn(List.of(Compare.absent("/f/a")), List.of(), ops)).isInstanceOf(LeaseNotFoundException.class);

        assertThat(store.revision()).isEqualTo(2);
        assertThat(value("/f/a")).isEqualTo("old");
        assertThat(value("/f/b")).isEqualTo("doomed");
        assertThat(store.get("/f/c").kvs()).isEmpty();
    }

    @Test
    void aTxnMayNotWriteOneKeyTwiceInABranch() {
        assertThatThrownBy(() -> store.txn(List.of(), List.of(Op.put("/k", bytes("1")), Op.put("/k", bytes("2"))), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/k");
        assertThatThrownBy(() -> store.txn(List.of(), List.of(), List.of(Op.put("/k/1", bytes("1")), Op.deletePrefix("/k/"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/k/1");
        assertThat(store.revision()).isZero();

        TxnResult bothBranches = store.txn(List.of(), List.of(Op.put("/k", bytes("s"))), List.of(Op.put("/k", bytes("f"))));
        assertThat(bothBranches.succeeded()).isTrue();
        assertThat(value("/k")).isEqualTo("s");
    }

    // ---- etcd's limits -----------------------------------------------------------------------

    @Test
    void aTxnOfMoreThan128OperationsIsRefusedWhole() {
        List<Op> ops129 = IntStream.range(0, 129).mapToObj(i -> Op.put("/ops/" + i, bytes("v"))).toList();
        assertThatThrownBy(() -> store.txn(List.of(), ops129, List.of()))
                .isInstanceOfSatisfying(StoreLimitException.class, e -> {
                    assertThat(e.given()).isEqualTo(129);
                    assertThat(e.allowed()).isEqualTo(128);
                })
                .hasMessageContaining("129").hasMessageContaining("128").hasMessageContaining("max-txn-ops");
        List<Compare> compares129 = IntStream.range(0, 129).mapToObj(i -> Compare.absent("/c/" + i)).toList();
        assertThatThrownBy(() -> store.txn(compares129, List.of(Op.put("/x", bytes("v"))), List.of()))
                .isInstanceOf(StoreLimitException.class);
        assertThat(store.revision()).isZero();
        assertThat(store.range("").kvs()).isEmpty();

        TxnResult ops128 = store.txn(List.of(), ops129.subList(0, 128), List.of());
        assertThat(ops128.revision()).isEqualTo(1);
        assertThat(store.range("/ops/").kvs()).hasSize(128);
    }

    @Test
    void aRequestOfMoreThanOnePointFiveMebibytesIsRefusedWhole() {
        String key = "/big";
        byte[] tooBig = new byte[Store.MAX_REQUEST_BYTES - key.length() + 1];
        assertThatThrownBy(() -> store.put(key, tooBig))
                .isInstanceOfSatisfying(StoreLimitException.class, e -> {
                    assertThat(e.given()).isEqualTo(1_572_865);
                    assertThat(e.allowed()).isEqualTo(1_572_864);
                })
                .hasMessageContaining("1572865").hasMessageContaining("1572864");

        byte[] half = new byte[800 * 1024];
        assertThatThrownBy(() -> store.txn(List.of(), List.of(Op.put("/big/1", half), Op.put("/big/2", half)), List.of()))
                .isInstanceOf(StoreLimitException.class);
        assertThat(store.revision()).isZero();
        assertThat(store.range("").kvs()).isEmpty();

        byte[] mebibyte = new byte[1 << 20];
        long revision = store.put(key, mebibyte);
        assertThat(store.get(key).first()).hasValueSatisfying(kv -> {
            assertThat(kv.value()).isEqualTo(mebibyte);
            assertThat(kv.modRevision()).isEqualTo(revision);
        });
    }

    // ---- watches -----------------------------------------------------------------------------

    @Test
    void aWatchFromNowSeesLaterChangesOnAThreadOfItsOwn() {
        store.put("/w/before", bytes("0"));
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch("/w/", 0, listener)) {
            store.put("/w/after", bytes("1"));
            eventually(() -> assertThat(listener.events()).containsExactly("PUT /w/after=1 @2"));
            assertThat(listener.threads()).doesNotContain(Thread.currentThread());
        }
    }

    @Test
    void aWatchFromThePastReplaysHistoryThenStreamsLive() {
        store.put("/h/a", bytes("1"));
        store.put("/h/b", bytes("2"));
        store.put("/h/a", bytes("3"));
        store.delete("/h/b");
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch("/h/", 2, listener)) {
            eventually(() -> assertThat(listener.events()).containsExactly("PUT /h/b=2 @2", "PUT /h/a=3 @3", "DELETE /h/b @4"));
            store.put("/h/c", bytes("5"));
            eventually(() -> assertThat(listener.events())
                    .containsExactly("PUT /h/b=2 @2", "PUT /h/a=3 @3", "DELETE /h/b @4", "PUT /h/c=5 @5"));
        }
        assertThat(listener.revisions()).containsExactly(2L, 3L, 4L, 5L);
        assertThat(listener.errors()).isEmpty();
    }

    @Test
    void aWatchReplayingALongHistoryWhileWritesGoOnMissesNothing() throws Exception {
        int history = 1200;
        int live = 300;
        for (int i = 0; i < history; i++) {
            store.put("/long/" + (i % 50), bytes("h" + i));
        }
        RecordingListener listener = new RecordingListener();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (Watch watch = store.watch("/long/", 1, listener)) {
            Future<?> writes = writer.submit(() -> {
                for (int i = 0; i < live; i++) {
                    store.put("/long/" + (i % 50), bytes("l" + i));
                }
            });
            writes.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            List<Long> expected = LongStream.rangeClosed(1, history + live).boxed().toList();
            eventually(() -> assertThat(listener.revisions()).hasSameSizeAs(expected));
            assertThat(listener.revisions()).containsExactlyElementsOf(expected);
            assertThat(listener.events().getLast()).isEqualTo("PUT /long/49=l299 @1500");
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    void aWatchDeliversATxnAsOneBatchInOperationOrder() {
        store.put("/b/z", bytes("0"));
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch("/b/", 0, listener)) {
            store.txn(List.of(), List.of(Op.put("/b/y", bytes("1")), Op.delete("/b/z"), Op.put("/b/x", bytes("2"))), List.of());
            store.put("/b/w", bytes("3"));
            eventually(() -> assertThat(listener.revisions()).containsExactly(2L, 3L));
            WatchBatch txn = listener.batches().get(0);
            assertThat(txn.events()).map(RecordingListener::describe).containsExactly("PUT /b/y=1 @2", "DELETE /b/z @2", "PUT /b/x=2 @2");
        }
    }

    @Test
    void aWatchSeesOnlyItsPrefix() {
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch("/a/", 0, listener)) {
            store.put("/ab", bytes("1"));
            store.put("/a", bytes("2"));
            store.put("/a/x", bytes("3"));
            store.txn(List.of(), List.of(Op.put("/ab/y", bytes("4")), Op.put("/a/y", bytes("5"))), List.of());
            eventually(() -> assertThat(listener.revisions()).containsExactly(3L, 4L));
            assertThat(listener.events()).containsExactly("PUT /a/x=3 @3", "PUT /a/y=5 @4");
        }
    }

    @Test
    void watchEventsCarryThePreviousValue() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch("/v", 0, listener)) {
            store.put("/v", bytes("1"), lease.id());
            store.put("/v", bytes("2"));
            store.delete("/v");
            eventually(() -> assertThat(listener.revisions()).containsExactly(1L, 2L, 3L));
        }
        List<WatchEvent> events = listener.batches().stream().flatMap(b -> b.events().stream()).toList();
        KeyValue v1 = new KeyValue("/v", bytes("1"), 1, 1, 1, lease.id());
        KeyValue v2 = new KeyValue("/v", bytes("2"), 1, 2, 2, 0);
        assertThat(events).containsExactly(
                new WatchEvent(WatchEvent.Type.PUT, v1, Optional.empty()),
                new WatchEvent(WatchEvent.Type.PUT, v2, Optional.of(v1)),
                new WatchEvent(WatchEvent.Type.DELETE, new KeyValue("/v", new byte[0], 0, 3, 0, 0), Optional.of(v2)));
    }

    @Test
    void aWatchFromACompactedRevisionFailsWithTheCompactRevision() {
        for (int i = 1; i <= 5; i++) {
            store.put("/c/" + (i % 2), bytes("v" + i));
        }
        store.compact(4);
        assertThatThrownBy(() -> store.watch("/c/", 3, new RecordingListener()))
                .isInstanceOfSatisfying(CompactedException.class, e -> {
                    assertThat(e.compactRevision()).isEqualTo(4);
                    assertThat(e.requestedRevision()).isEqualTo(3);
                });

        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch("/c/", 4, listener)) {
            eventually(() -> assertThat(listener.events()).containsExactly("PUT /c/0=v4 @4", "PUT /c/1=v5 @5"));
        }
    }

    @Test
    void aClosedWatchHearsNothingMore() {
        RecordingListener closedOne = new RecordingListener();
        RecordingListener openOne = new RecordingListener();
        try (Watch open = store.watch("/x/", 0, openOne)) {
            Watch closing = store.watch("/x/", 0, closedOne);
            store.put("/x/1", bytes("1"));
            eventually(() -> assertThat(closedOne.revisions()).containsExactly(1L));
            closing.close();
            closing.close();
            store.put("/x/2", bytes("2"));
            eventually(() -> assertThat(openOne.revisions()).containsExactly(1L, 2L));
        }
        assertThat(closedOne.revisions()).containsExactly(1L);
        assertThat(closedOne.errors()).isEmpty();
    }

    @Test
    void aListenerThatThrowsEndsItsWatchAndHearsWhy() {
        IllegalStateException thrown = new IllegalStateException("listener bug");
        List<Long> revisions = new CopyOnWriteArrayList<>();
        RecordingListener errors = new RecordingListener();
        store.watch("/t/", 0, new WatchListener() {
            @Override
            public void onBatch(WatchBatch batch) {
                revisions.add(batch.revision());
                throw thrown;
            }

            @Override
            public void onError(StoreException error) {
                errors.onError(error);
            }
        });
        store.put("/t/1", bytes("1"));
        eventually(() -> assertThat(errors.errors()).singleElement().satisfies(e -> assertThat(e).hasCause(thrown)));
        store.put("/t/2", bytes("2"));
        RecordingListener later = new RecordingListener();
        try (Watch watch = store.watch("/t/", 2, later)) {
            eventually(() -> assertThat(later.revisions()).containsExactly(2L));
        }
        assertThat(revisions).containsExactly(1L);
    }

    @Test
    void aSlowWatcherBlocksNeitherWritersNorOtherWatchers() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> slowRevisions = Collections.synchronizedList(new ArrayList<>());
        WatchListener slow = new WatchListener() {
            @Override
            public void onBatch(WatchBatch batch) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                slowRevisions.add(batch.revision());
            }

            @Override
            public void onError(StoreException error) {}
        };
        RecordingListener fast = new RecordingListener();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (Watch slowWatch = store.watch("/s/", 0, slow); Watch fastWatch = store.watch("/s/", 0, fast)) {
            store.put("/s/first", bytes("0"));
            assertThat(entered.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();

            Future<?> writes = writer.submit(() -> {
                for (int i = 0; i < 300; i++) {
                    store.put("/s/" + (i % 10), bytes("v" + i));
                }
            });
            eventually().until(writes::isDone);
            writes.get();
            eventually(() -> assertThat(fast.revisions()).hasSize(301));
            assertThat(release.getCount()).as("the slow listener is still stuck in its first batch").isEqualTo(1);

            release.countDown();
            eventually(() -> assertThat(slowRevisions).hasSize(301));
            assertThat(slowRevisions).containsExactlyElementsOf(LongStream.rangeClosed(1, 301).boxed().toList());
        } finally {
            release.countDown();
            writer.shutdownNow();
        }
    }

    // ---- leases ------------------------------------------------------------------------------

    @Test
    void aGrantGivesAtLeastTheTtlAsked() {
        for (Duration asked : List.of(Duration.ofMillis(1), Duration.ofMillis(2500), Duration.ofSeconds(30))) {
            Lease lease = store.grant(asked);
            assertThat(lease.ttl()).isGreaterThanOrEqualTo(asked);
            LeaseStatus status = store.timeToLive(lease.id());
            assertThat(status.grantedTtl()).isEqualTo(lease.ttl());
            assertThat(status.remaining()).isPositive().isLessThanOrEqualTo(lease.ttl());
        }
        assertThatThrownBy(() -> store.grant(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> store.grant(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: > 0");
    }

    @Test
    void keepAliveKeepsTheLeaseAndItsKeys() throws InterruptedException {
        Lease lease = store.grant(Duration.ofMillis(1));
        store.put("/l/k", bytes("v"), lease.id());
        long until = System.nanoTime() + lease.ttl().multipliedBy(5).dividedBy(2).toNanos();
        while (System.nanoTime() < until) {
            assertThat(store.keepAlive(lease.id())).isEqualTo(lease.ttl());
            assertThat(value("/l/k")).isEqualTo("v");
            Thread.sleep(lease.ttl().dividedBy(5).toMillis());
        }
        eventually(() -> assertThat(store.get("/l/k").kvs()).isEmpty());
        assertThatThrownBy(() -> store.keepAlive(lease.id())).isInstanceOf(LeaseNotFoundException.class);
    }

    @Test
    void anExpiredLeaseDeletesItsKeysInOneRevisionThatWatchersSee() {
        Lease lease = store.grant(Duration.ofMillis(1));
        store.put("/e/1", bytes("a"), lease.id());
        store.put("/e/2", bytes("b"), lease.id());
        store.put("/e/3", bytes("c"));
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch("/e/", 0, listener)) {
            eventually(() -> assertThat(listener.events()).containsExactly("DELETE /e/1 @4", "DELETE /e/2 @4"));
            assertThat(listener.batches()).hasSize(1);
            assertThat(listener.batches().get(0).events())
                    .allSatisfy(e -> assertThat(e.prevKv()).hasValueSatisfying(prev -> assertThat(prev.lease()).isEqualTo(lease.id())));
        }
        assertThat(store.revision()).isEqualTo(4);
        assertThat(keys(store.range("/e/"))).containsExactly("/e/3");
        assertThatThrownBy(() -> store.keepAlive(lease.id())).isInstanceOf(LeaseNotFoundException.class);
        assertThatThrownBy(() -> store.timeToLive(lease.id())).isInstanceOf(LeaseNotFoundException.class);
        assertThatThrownBy(() -> store.put("/e/4", bytes("d"), lease.id())).isInstanceOf(LeaseNotFoundException.class);
    }

    @Test
    void revokeDeletesTheLeaseKeysInOneRevision() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        Lease other = store.grant(Duration.ofSeconds(60));
        store.put("/r/1", bytes("a"), lease.id());
        store.put("/r/2", bytes("b"), lease.id());
        store.put("/r/3", bytes("c"), other.id());

        assertThat(store.revoke(lease.id())).isEqualTo(4);
        assertThat(keys(store.rangeAt("/r/", 3))).containsExactly("/r/1", "/r/2", "/r/3");
        assertThat(keys(store.range("/r/"))).containsExactly("/r/3");
        assertThatThrownBy(() -> store.revoke(lease.id())).isInstanceOfSatisfying(LeaseNotFoundException.class,
                e -> assertThat(e.leaseId()).isEqualTo(lease.id()));
        assertThatThrownBy(() -> store.keepAlive(lease.id())).isInstanceOf(LeaseNotFoundException.class);
        assertThatThrownBy(() -> store.put("/r/4", bytes("d"), lease.id())).isInstanceOf(LeaseNotFoundException.class);
        assertThat(store.revision()).isEqualTo(4);
    }

    @Test
    void timeToLiveListsTheKeysStillAttached() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        store.put("/t/b", bytes("1"), lease.id());
        store.put("/t/a", bytes("2"), lease.id());
        store.put("/t/c", bytes("3"), lease.id());
        store.put("/t/c", bytes("4")); // detached: a put without a lease takes the key off its lease
        store.delete("/t/b");
        assertThat(store.timeToLive(lease.id()).keys()).containsExactly("/t/a");

        store.revoke(lease.id());
        assertThat(keys(store.range("/t/"))).containsExactly("/t/c");
        assertThatThrownBy(() -> store.timeToLive(987_654_321L)).isInstanceOf(LeaseNotFoundException.class);
        assertThatThrownBy(() -> store.put("/t/d", bytes("5"), 987_654_321L)).isInstanceOf(LeaseNotFoundException.class);
    }

    @Test
    void aRestartGivesEveryLeaseItsFullTtlAgain() throws Exception {
        Lease lease = store.grant(Duration.ofSeconds(4));
        store.put("/rl/k", bytes("v"), lease.id());
        Duration spent = Duration.ofSeconds(2);
        eventually().until(() -> store.timeToLive(lease.id()).remaining().compareTo(lease.ttl().minus(spent)) <= 0);
        Duration before = store.timeToLive(lease.id()).remaining();

        store = restart(store);

        LeaseStatus after = store.timeToLive(lease.id());
        assertThat(after.remaining()).as("remaining after the restart, against %s before it", before).isGreaterThan(before);
        assertThat(after.grantedTtl()).isEqualTo(lease.ttl());
        assertThat(after.keys()).containsExactly("/rl/k");
        assertThat(store.keepAlive(lease.id())).isEqualTo(lease.ttl());
        eventually(() -> assertThat(store.get("/rl/k").kvs()).isEmpty());
    }

    // ---- compaction, restarts ---------------------------------------------------------------

    @Test
    void compactionDropsHistoryButKeepsEveryKeysValue() {
        store.put("/c/a", bytes("a1"));
        store.put("/c/a", bytes("a2"));
        store.put("/c/b", bytes("b1"));
        store.delete("/c/b");
        store.put("/c/c", bytes("c1"));

        store.compact(4);

        assertThat(store.range("/c/").kvs()).containsExactly(
                new KeyValue("/c/a", bytes("a2"), 1, 2, 2, 0), new KeyValue("/c/c", bytes("c1"), 5, 5, 1, 0));
        assertThat(keys(store.rangeAt("/c/", 4))).containsExactly("/c/a");
        assertThatThrownBy(() -> store.rangeAt("/c/", 3)).isInstanceOfSatisfying(CompactedException.class,
                e -> assertThat(e.compactRevision()).isEqualTo(4));
        assertThatThrownBy(() -> store.compact(4)).isInstanceOf(CompactedException.class);
        assertThatThrownBy(() -> store.compact(2)).isInstanceOf(CompactedException.class);
        assertThatThrownBy(() -> store.compact(6)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("6");
        assertThat(store.revision()).isEqualTo(5);
        assertThat(store.put("/c/a", bytes("a3"))).isEqualTo(6);
        assertThat(store.get("/c/a").first()).contains(new KeyValue("/c/a", bytes("a3"), 1, 6, 3, 0));
    }

    @Test
    void aRestartKeepsDataRevisionsHistoryCompactionAndLeases() throws Exception {
        Lease lease = store.grant(Duration.ofSeconds(60));
        store.put("/s/a", bytes("1"));
        store.put("/s/a", bytes("2"));
        store.put("/s/b", bytes("3"), lease.id());
        store.txn(List.of(), List.of(Op.put("/s/c", bytes("4")), Op.delete("/s/a")), List.of());
        store.put("/s/d", bytes("5"));
        store.compact(2);
        RangeResult before = store.range("");

        store = restart(store);

        assertThat(store.revision()).isEqualTo(5);
        assertThat(store.range("")).isEqualTo(before);
        assertThat(keys(store.rangeAt("/s/", 3))).containsExactly("/s/a", "/s/b");
        assertThatThrownBy(() -> store.rangeAt("/s/", 1)).isInstanceOf(CompactedException.class);
        assertThat(store.timeToLive(lease.id()).keys()).containsExactly("/s/b");
        assertThat(store.put("/s/e", bytes("6"))).isEqualTo(6);
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch("/s/", 4, listener)) {
            eventually(() -> assertThat(listener.events()).containsExactly("PUT /s/c=4 @4", "DELETE /s/a @4", "PUT /s/d=5 @5", "PUT /s/e=6 @6"));
        }
        Lease next = store.grant(Duration.ofSeconds(60));
        assertThat(next.id()).as("lease ids are not handed out twice").isNotEqualTo(lease.id());
    }

    // ---- concurrency -------------------------------------------------------------------------

    @Test
    void concurrentWritersGetUniqueContiguousRevisions() throws Exception {
        int threads = 8;
        int writesEach = 40;
        RecordingListener listener = new RecordingListener();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Watch watch = store.watch("", 1, listener)) {
            List<Future<List<Long>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    List<Long> revisions = new ArrayList<>();
                    for (int i = 0; i < writesEach; i++) {
                        String key = "/cc/" + thread + "/" + i;
                        revisions.add(i % 2 == 0
                                ? store.put(key, bytes("v"))
                                : store.txn(List.of(Compare.absent(key)), List.of(Op.put(key, bytes("t")), Op.put(key + "/x", bytes("x"))), List.of())
                                        .revision());
                    }
                    return revisions;
                }));
            }
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> f : futures) {
                all.addAll(f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            }
            List<Long> expected = LongStream.rangeClosed(1, (long) threads * writesEach).boxed().toList();
            assertThat(all).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
            assertThat(store.revision()).isEqualTo(threads * writesEach);
            eventually(() -> assertThat(listener.revisions()).containsExactlyElementsOf(expected));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void compareAndSwapFromManyThreadsLosesNoUpdate() throws Exception {
        store.put("/counter", bytes("0"));
        int threads = 8;
        int incrementsEach = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < incrementsEach; i++) {
                        boolean done = false;
                        while (!done) {
                            KeyValue kv = store.get("/counter").first().orElseThrow();
                            String next = Integer.toString(Integer.parseInt(kv.valueAsString()) + 1);
                            done = store.txn(List.of(Compare.modRevision("/counter", Compare.Result.EQUAL, kv.modRevision())),
                                    List.of(Op.put("/counter", bytes(next))), List.of()).succeeded();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(PATIENCE.toSeconds() * 2, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(value("/counter")).isEqualTo(Integer.toString(threads * incrementsEach));
        assertThat(store.get("/counter").first().orElseThrow().version()).isEqualTo(threads * incrementsEach + 1);
    }

    // ---- closing -----------------------------------------------------------------------------

    @Test
    void aClosedStoreEndsItsWatchesAndFailsEveryCall() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        store.put("/z", bytes("1"));
        RecordingListener listener = new RecordingListener();
        store.watch("/", 0, listener);

        store.close();
        store.close();

        eventually(() -> assertThat(listener.errors()).singleElement().isInstanceOf(StoreClosedException.class));
        List<ThrowingRunnable> calls = List.of(
                store::revision,
                () -> store.get("/z"),
                () -> store.range("/"),
                () -> store.rangeAt("/", 1),
                () -> store.put("/z", bytes("2")),
                () -> store.put("/z", bytes("2"), lease.id()),
                () -> store.delete("/z"),
                () -> store.deletePrefix("/"),
                () -> store.txn(List.of(), List.of(Op.put("/z", bytes("2"))), List.of()),
                () -> store.watch("/", 0, new RecordingListener()),
                () -> store.grant(Duration.ofSeconds(10)),
                () -> store.keepAlive(lease.id()),
                () -> store.revoke(lease.id()),
                () -> store.timeToLive(lease.id()),
                () -> store.compact(1));
        for (ThrowingRunnable call : calls) {
            assertThatThrownBy(call::run).isInstanceOf(StoreClosedException.class).hasMessageContaining("closed");
        }
    }
}
