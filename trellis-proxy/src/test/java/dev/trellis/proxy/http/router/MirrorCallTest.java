package dev.trellis.proxy.http.router;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MirrorCallTest {
    @Test
    void theShadowHostKeepsThePort() {
        assertThat(MirrorCall.shadowHost("catalog")).isEqualTo("catalog-shadow");
        assertThat(MirrorCall.shadowHost("catalog:8080")).isEqualTo("catalog-shadow:8080");
        assertThat(MirrorCall.shadowHost("[::1]:80")).isEqualTo("[::1]-shadow:80");
        assertThat(MirrorCall.shadowHost("[::1]")).isEqualTo("[::1]-shadow");
    }
}
