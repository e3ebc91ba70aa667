package dev.trellis.proxy.xds;

import static dev.trellis.proxy.xds.WarmingTest.byName;
import static dev.trellis.proxy.xds.XdsTestResources.edsCluster;
import static dev.trellis.proxy.xds.XdsTestResources.endpoints;
import static dev.trellis.proxy.xds.XdsTestResources.httpListener;
import static dev.trellis.proxy.xds.XdsTestResources.routes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.xds.XdsType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The accepted resources on disk: round trip, atomic replacement, and files that cannot be trusted. */
class SavedConfigTest {
    @TempDir
    Path dir;

    final XdsState state = XdsState.EMPTY
            .accept(XdsType.CLUSTER, "c1", byName(XdsType.CLUSTER, List.of(edsCluster("a"))))
            .accept(XdsType.ENDPOINT, "e1", byName(XdsType.ENDPOINT, List.of(endpoints("a", 8080))))
            .accept(XdsType.LISTENER, "l1", byName(XdsType.LISTENER, List.of(httpListener("out", 9090, "r"))))
            .accept(XdsType.ROUTE, "r1", byName(XdsType.ROUTE, List.of(routes("r", "a"))));

    @Test
    void whatIsSavedLoadsBackWithItsVersions() throws Exception {
        SavedConfig saved = new SavedConfig(dir.resolve("a/b"));
        assertThat(saved.load()).as("nothing saved yet").isEmpty();
        saved.save(XdsState.EMPTY.accept(XdsType.CLUSTER, "old", byName(XdsType.CLUSTER, List.of(edsCluster("z")))));
        saved.save(state);
        assertThat(saved.load()).hasValue(state);
        try (Stream<Path> files = Files.list(dir.resolve("a/b"))) {
            assertThat(files).as("no temporary file left behind").containsExactly(saved.file());
        }
    }

    @Test
    void aFileThatIsNotOursIsCorrupt() throws Exception {
        SavedConfig saved = new SavedConfig(dir);
        Files.writeString(saved.file(), "{\"clusters\": []}");
        assertThatThrownBy(saved::load).isInstanceOf(SavedConfig.CorruptException.class)
                .hasMessageContaining(saved.file().toString()).hasMessageContaining("header is missing");
    }

    @Test
    void aDamagedOrTruncatedFileIsCorrupt() throws Exception {
        SavedConfig saved = new SavedConfig(dir);
        saved.save(state);
        byte[] bytes = Files.readAllBytes(saved.file());

        byte[] flipped = bytes.clone();
        flipped[bytes.length / 2] ^= 0x40;
        Files.write(saved.file(), flipped);
        assertThatThrownBy(saved::load).isInstanceOf(SavedConfig.CorruptException.class).hasMessageContaining("checksum mismatch");

        Files.write(saved.file(), Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(saved::load).isInstanceOf(SavedConfig.CorruptException.class).hasMessageContaining("checksum mismatch");
    }
}
