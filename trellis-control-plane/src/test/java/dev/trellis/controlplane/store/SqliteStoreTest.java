package dev.trellis.controlplane.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The contract on the embedded store, and what only the embedded store promises: its files, its process. */
class SqliteStoreTest extends StoreContract {
    @TempDir
    Path temp;

    /** Not there before the first open: the store creates it. */
    private Path directory() {
        return temp.resolve("data");
    }

    private Path databaseFile() {
        return directory().resolve(SqliteStore.DATABASE_FILE);
    }

    @Override
    protected Store open() {
        return SqliteStore.open(directory());
    }

    @Override
    protected Store restart(Store running) {
        running.close();
        return open();
    }

    @Test
    void leasesAreGrantedInWholeSecondsOfAtLeastTheMinimum() {
        assertThat(store.grant(Duration.ofMillis(1)).ttl()).isEqualTo(Store.MIN_LEASE_TTL).isEqualTo(Duration.ofSeconds(2));
        assertThat(store.grant(Duration.ofMillis(2001)).ttl()).isEqualTo(Duration.ofSeconds(3));
        assertThat(store.grant(Duration.ofSeconds(4)).ttl()).isEqualTo(Duration.ofSeconds(4));
        assertThat(store.grant(Duration.ofMinutes(1)).ttl()).isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> store.grant(Store.MAX_LEASE_TTL.plusSeconds(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MaxLeaseTTL");
    }

    /**
     * Several rounds, each killing the writer at another point (after a different number of
     * acknowledgements), since where a kill lands (mid-commit, between writes) decides what a
     * durability bug would lose.
     */
    @Test
    void everyAcknowledgedWriteSurvivesKillMinus9() throws Exception {
        store.close();
        long acknowledged = 0;
        List<ChildWriter.Ack> all = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            List<ChildWriter.Ack> acks;
            try (ChildWriter child = ChildWriter.start(directory(), temp.resolve("child-" + round + ".err"))) {
                child.awaitAcks(150 + 37 * round);
                int exit = child.kill();
                assertThat(exit).as("killed by SIGKILL while writing").isEqualTo(128 + 9);
                acks = child.acks();
            }

            store = open();
            long before = acknowledged;
            assertThat(acks).extracting(ChildWriter.Ack::revision).as("round %d", round)
                    .containsExactlyElementsOf(LongStream.rangeClosed(before + 1, before + acks.size()).boxed().toList());
            for (ChildWriter.Ack ack : acks) {
                assertThat(store.get("/kill/" + ack.n()).first()).as("acknowledged write %s of round %d", ack, round).hasValueSatisfying(kv -> {
                    assertThat(kv.modRevision()).isEqualTo(ack.revision());
                    assertThat(kv.valueAsString()).isEqualTo("value-" + ack.n());
                });
            }
            all.addAll(acks);
            acknowledged = store.revision();
            assertThat(acknowledged).isGreaterThanOrEqualTo(before + acks.size());
            store.close();
        }
        store = open();
        for (ChildWriter.Ack ack : all) {
            assertThat(store.get("/kill/" + ack.n()).first().map(KeyValue::modRevision)).as("%s, after every round", ack).contains(ack.revision());
        }
        assertThat(store.put("/after", bytes("x"))).isEqualTo(acknowledged + 1);
    }

    @Test
    void aDirectoryInUseByAnotherProcessIsRefused() throws Exception {
        store.close();
        try (ChildWriter child = ChildWriter.start(directory(), temp.resolve("child.err"))) {
            child.awaitAcks(1);
            assertThatThrownBy(() -> SqliteStore.open(directory()))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("in use by another process")
                    .hasMessageContaining("pid " + child.pid())
                    .hasMessageContaining(DirectoryLock.FILE);
            child.kill();
        }
        store = open();
        assertThat(store.get("/kill/0").first()).as("the lock died with its process, the data did not").isPresent();
    }

    @Test
    void aSecondStoreInThisProcessIsRefusedAndTheFirstKeepsItsLock() throws Exception {
        assertThatThrownBy(() -> SqliteStore.open(directory()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("already open in this process")
                .hasMessageContaining(directory().getFileName().toString());
        assertThat(store.put("/still", bytes("mine"))).isEqualTo(1);

        try (ChildWriter child = ChildWriter.start(directory(), temp.resolve("child.err"))) {
            assertThat(child.awaitExit()).isNotZero();
            assertThat(child.stderr()).contains("in use by another process").contains("pid " + ProcessHandle.current().pid());
            assertThat(child.acks()).isEmpty();
        }
    }

    @Test
    void aFileThatIsNotADatabaseIsRefusedByName() throws IOException {
        store.close();
        deleteDatabaseFiles();
        Files.writeString(databaseFile(), "not a database\n".repeat(512));

        assertThatThrownBy(this::open).isInstanceOf(StoreException.class).hasMessageContaining(databaseFile().toString());
    }

    @Test
    void aCorruptDatabaseIsRefusedByName() throws IOException {
        for (int i = 0; i < 2000; i++) {
            store.put("/corrupt/" + i, bytes("value " + i + " ".repeat(100)));
        }
        store.close();
        assertThat(Files.size(databaseFile())).isGreaterThan(16 * 4096L);
        try (RandomAccessFile file = new RandomAccessFile(databaseFile().toFile(), "rw")) {
            byte[] garbage = new byte[8 * 4096];
            new Random(42).nextBytes(garbage);
            file.seek(4096);
            file.write(garbage);
        }

        assertThatThrownBy(this::open).isInstanceOf(StoreException.class).hasMessageContaining(databaseFile().toString());
    }

    @Test
    void anotherProgramsDatabaseIsRefused() throws Exception {
        store.close();
        deleteDatabaseFiles();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + databaseFile()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)");
        }

        assertThatThrownBy(this::open).isInstanceOf(StoreException.class).hasMessageContaining("not a Trellis store")
                .hasMessageContaining(databaseFile().toString());
    }

    @Test
    void aMissingDataDirectoryIsCreatedAndAnImpossibleOneNamed() throws IOException {
        Path nested = temp.resolve("a/b/c");
        try (Store created = SqliteStore.open(nested)) {
            assertThat(created.put("/k", bytes("v"))).isEqualTo(1);
        }
        assertThat(nested.resolve(SqliteStore.DATABASE_FILE)).isRegularFile();

        Path file = Files.writeString(temp.resolve("plain-file"), "x");
        assertThatThrownBy(() -> SqliteStore.open(file.resolve("data"))).isInstanceOf(StoreException.class)
                .hasMessageContaining(file.resolve("data").toString());
    }

    @Test
    void theLogHasOneRowPerKeyPerRevisionAndCompactionDropsHistory() throws Exception {
        store.put("/a", bytes("1"));
        store.put("/a", bytes("2"));
        store.txn(List.of(), List.of(Op.put("/b", bytes("3")), Op.delete("/a")), List.of());
        store.put("/c", bytes("4"));
        assertThat(logRows()).containsExactly("1 /a put", "2 /a put", "3 /b put", "3 /a deleted", "4 /c put");

        store.compact(4);
        assertThat(logRows()).containsExactly("3 /b put", "4 /c put");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + databaseFile()); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("PRAGMA journal_mode")) {
            r.next();
            assertThat(r.getString(1)).isEqualTo("wal");
        }
    }

    @Test
    void aSlowWatcherPastItsBacklogReadsOnFromTheLogAndMissesNothing() throws Exception {
        store.close();
        store = SqliteStore.open(directory(), 4096);
        ListAppender<ILoggingEvent> log = capture(Watcher.class);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> revisions = Collections.synchronizedList(new ArrayList<>());
        RecordingListener errors = new RecordingListener();
        try (Watch watch = store.watch("/slow/", 0, new WatchListener() {
            @Override
            public void onBatch(WatchBatch batch) {
                awaitQuietly(release);
                revisions.add(batch.revision());
            }

            @Override
            public void onError(StoreException error) {
                errors.onError(error);
            }
        })) {
            for (int i = 0; i < 200; i++) {
                store.put("/slow/" + (i % 7), bytes("v".repeat(100) + i));
            }
            eventually(() -> assertThat(log.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("reading on from the log")));
            release.countDown();
            eventually(() -> assertThat(revisions).hasSize(200));
            assertThat(revisions).containsExactlyElementsOf(LongStream.rangeClosed(1, 200).boxed().toList());
            assertThat(errors.errors()).isEmpty();
        } finally {
            release.countDown();
            ((Logger) LoggerFactory.getLogger(Watcher.class)).detachAppender(log);
        }
    }

    @Test
    void aSlowWatcherOvertakenByCompactionEndsWithTheCompactRevision() {
        store.close();
        store = SqliteStore.open(directory(), 4096);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> revisions = Collections.synchronizedList(new ArrayList<>());
        RecordingListener errors = new RecordingListener();
        try (Watch watch = store.watch("/slow/", 0, new WatchListener() {
            @Override
            public void onBatch(WatchBatch batch) {
                awaitQuietly(release);
                revisions.add(batch.revision());
            }

            @Override
            public void onError(StoreException error) {
                errors.onError(error);
            }
        })) {
            for (int i = 0; i < 100; i++) {
                store.put("/slow/" + (i % 7), bytes("v".repeat(100) + i));
            }
            store.compact(100);
            release.countDown();
            eventually(() -> assertThat(errors.errors()).singleElement().isInstanceOfSatisfying(CompactedException.class,
                    e -> assertThat(e.compactRevision()).isEqualTo(100)));
            assertThat(revisions).startsWith(1L).doesNotContain(100L);
        } finally {
            release.countDown();
        }
    }

    private List<String> logRows() throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + databaseFile()); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT revision, name, deleted FROM kv_log ORDER BY id")) {
            while (r.next()) {
                rows.add(r.getLong(1) + " " + new String(r.getBytes(2), UTF_8) + " " + (r.getBoolean(3) ? "deleted" : "put"));
            }
        }
        return rows;
    }

    private void deleteDatabaseFiles() throws IOException {
        for (String suffix : List.of("", "-wal", "-shm")) {
            Files.deleteIfExists(directory().resolve(SqliteStore.DATABASE_FILE + suffix));
        }
    }

    private static ListAppender<ILoggingEvent> capture(Class<?> source) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(source)).addAppender(appender);
        return appender;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
