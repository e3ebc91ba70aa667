package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EchoRouteTest {

    @Test
    void ordinaryPathsAreEchoed() {
        assertThat(EchoRoute.parse("/")).isEqualTo(new EchoRoute.Echo());
        assertThat(EchoRoute.parse("/x?y=1")).isEqualTo(new EchoRoute.Echo());
        assertThat(EchoRoute.parse("/status")).isEqualTo(new EchoRoute.Echo());
        assertThat(EchoRoute.parse("/status/200/more")).isEqualTo(new EchoRoute.Echo());
        assertThat(EchoRoute.parse("/api/status/503")).isEqualTo(new EchoRoute.Echo());
        assertThat(EchoRoute.parse("*")).isEqualTo(new EchoRoute.Echo());
    }

    @Test
    void specialPathsIgnoreTheQueryAndAcceptAbsoluteForm() {
        assertThat(EchoRoute.parse("/status/503?x=1")).isEqualTo(new EchoRoute.Status(503));
        assertThat(EchoRoute.parse("http://catalog:8080/status/204")).isEqualTo(new EchoRoute.Status(204));
        assertThat(EchoRoute.parse("/delay/250#f")).isEqualTo(new EchoRoute.Delay(250));
        assertThat(EchoRoute.parse("/bytes/0")).isEqualTo(new EchoRoute.Bytes(0));
        assertThat(EchoRoute.parse("/bytes/1073741824")).isEqualTo(new EchoRoute.Bytes(1L << 30));
        assertThat(EchoRoute.parse("/hold?n=1")).isEqualTo(new EchoRoute.Hold());
        assertThat(EchoRoute.parse("/reset-after-headers")).isEqualTo(new EchoRoute.Reset(0));
        assertThat(EchoRoute.parse("/reset-mid-body/100?x")).isEqualTo(new EchoRoute.Reset(100));
        assertThat(EchoRoute.parse("/hold/more")).isEqualTo(new EchoRoute.Echo());
    }

    @Test
    void badNumbersSayWhatWasGivenAndWhatIsExpected() {
        assertThat(EchoRoute.parse("/status/99")).isEqualTo(
                new EchoRoute.Invalid("status: '99' (expected: an HTTP status 200..599)"));
        assertThat(EchoRoute.parse("/status/abc")).isInstanceOf(EchoRoute.Invalid.class);
        assertThat(EchoRoute.parse("/delay/-1")).isEqualTo(
                new EchoRoute.Invalid("delay: '-1' (expected: milliseconds 0..3600000)"));
        assertThat(EchoRoute.parse("/delay/3600001")).isInstanceOf(EchoRoute.Invalid.class);
        assertThat(EchoRoute.parse("/bytes/")).isInstanceOf(EchoRoute.Invalid.class);
        assertThat(EchoRoute.parse("/bytes/99999999999999999999")).isInstanceOf(EchoRoute.Invalid.class);
        assertThat(EchoRoute.parse("/reset-mid-body/0")).isEqualTo(
                new EchoRoute.Invalid("reset-mid-body: '0' (expected: a byte count 1..16777216)"));
    }
}
