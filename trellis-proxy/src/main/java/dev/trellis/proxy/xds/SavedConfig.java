package dev.trellis.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The resources a proxy last accepted from its control plane, kept on disk so that a proxy that
 * starts while no control plane answers can serve at once. The file holds a header line, one
 * length-delimited {@code DiscoveryResponse} per type (its version, type URL and resources, as
 * they came over ADS) and a CRC32C of all that. It is replaced whole: written to a temporary file
 * in the same directory, flushed to disk, then renamed over the old one, so a crash leaves the
 * old file or the new one, never a mix.
 */
public final class SavedConfig {
    static final String FILE_NAME = "accepted-xds.pb";
    private static final byte[] HEADER = "trellis accepted xDS resources v1\n".getBytes(StandardCharsets.US_ASCII);

    /** A file that is there but cannot be trusted: damaged, cut short, or not one of ours. */
    public static final class CorruptException extends IOException {
        CorruptException(Path file, String problem) {
            super(file + ": " + problem);
        }
    }

    private final Path directory;
    private final Path file;

    public SavedConfig(Path directory) {
        this.directory = directory;
        this.file = directory.resolve(FILE_NAME);
    }

    /** {@code ~/.trellis/proxy/<name>.<namespace>}: where a proxy keeps its state unless told otherwise. */
    public static Path defaultDirectory(String name, String namespace) {
        return Path.of(System.getProperty("user.home"), ".trellis", "proxy", name + "." + namespace);
    }

    public Path file() {
        return file;
    }

    /** Replaces the saved resources with {@code state}, atomically. */
    public void save(XdsState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
        bytes.write(HEADER);
        for (XdsType type : XdsType.values()) {
            Optional<String> version = state.version(type);
            if (version.isEmpty()) {
                continue;
            }
            DiscoveryResponse.Builder response = DiscoveryResponse.newBuilder()
                    .setVersionInfo(version.get())
                    .setTypeUrl(type.typeUrl());
            state.resources().of(type).values().forEach(resource -> response.addResources(Any.pack(resource)));
            response.build().writeDelimitedTo(bytes);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        bytes.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());

        Files.createDirectories(directory);
        Path temporary = Files.createTempFile(directory, "." + FILE_NAME + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
        syncDirectory();
    }

    /** The rename is durable only once the directory's entry is; not every platform lets a directory be opened for that. */
    private void syncDirectory() {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the file itself is on disk
        }
    }

    /**
     * The saved resources; empty when nothing was saved.
     *
     * @throws CorruptException when the file is there but damaged, cut short, or not one of ours
     * @throws IOException when it cannot be read
     */
    public Optional<XdsState> load() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (bytes.length < HEADER.length + 4 || !Arrays.equals(bytes, 0, HEADER.length, HEADER, 0, HEADER.length)) {
            throw new CorruptException(file, "not a file of saved xDS resources (its header is missing)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
            throw new CorruptException(file, "checksum mismatch (the file is damaged or was cut short)");
        }
        Map<XdsType, String> versions = new EnumMap<>(XdsType.class);
        Map<XdsType, Map<String, Message>> resources = new EnumMap<>(XdsType.class);
        CodedInputStream in = CodedInputStream.newInstance(bytes, HEADER.length, bytes.length - 4 - HEADER.length);
        try {
            while (!in.isAtEnd()) {
                DiscoveryResponse response = DiscoveryResponse.parseFrom(in.readBytes());
                XdsType type = XdsType.ofTypeUrl(response.getTypeUrl()).orElseThrow(
                        () -> new CorruptException(file, "unknown type " + response.getTypeUrl()));
                if (versions.put(type, response.getVersionInfo()) != null) {
                    throw new CorruptException(file, type.shortName() + " saved twice");
                }
                Map<String, Message> byName = new TreeMap<>();
                for (Any any : response.getResourcesList()) {
                    Message resource = any.unpack(type.messageClass());
                    byName.put(XdsState.name(type, resource), resource);
                }
                resources.put(type, byName);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptException(file, "cannot be read: " + e.getMessage());
        }
        XdsResources all = XdsResources.EMPTY;
        for (Map.Entry<XdsType, Map<String, Message>> entry : resources.entrySet()) {
            all = all.with(entry.getKey(), entry.getValue());
        }
        return Optional.of(new XdsState(all, versions));
    }
}
