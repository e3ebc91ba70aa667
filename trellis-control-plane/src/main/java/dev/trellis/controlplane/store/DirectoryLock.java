package dev.trellis.controlplane.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a data directory to one store: an OS lock on {@code store.lock}, which the kernel drops
 * when the process dies (even by {@code kill -9}), so a stale lock never outlives its owner.
 * SQLite would let a second process write the same WAL database; two control planes on one store
 * would then each believe they own its revisions and leases.
 */
final class DirectoryLock implements AutoCloseable {
    static final String FILE = "store.lock";

    /**
     * Directories this JVM holds. POSIX locks belong to the process and closing any channel on the
     * file drops them, so a second store in this process must be refused before it opens one.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final FileChannel channel;

    private DirectoryLock(Path directory, FileChannel channel) {
        this.directory = directory;
        this.channel = channel;
    }

    static DirectoryLock acquire(Path directory) {
        Path file = directory.resolve(FILE);
        if (!HELD.add(directory)) {
            throw new StoreException("store " + directory + ": already open in this process (expected: one store per data directory)");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
                throw new StoreException("store " + directory + ": in use by another process" + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                        + ", which holds the lock on " + file + " (expected: one control plane per data directory)");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            return new DirectoryLock(directory, channel);
        } catch (IOException | RuntimeException e) {
            HELD.remove(directory);
            closeQuietly(channel);
            if (e instanceof StoreException s) {
                throw s;
            }
            throw new StoreException("store " + directory + ": cannot lock " + file + ": " + e, e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
        HELD.remove(directory);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the lock goes with the channel, or with the process
            }
        }
    }
}
