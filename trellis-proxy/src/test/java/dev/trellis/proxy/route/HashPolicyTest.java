package dev.trellis.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HashPolicyTest {
    /** A request with the given headers and cookies, recording the cookies it is asked to set. */
    record Request(Map<String, String> headers, Map<String, String> cookies, String sourceIp, Map<String, Duration> setCookies)
            implements HashPolicy.Request {
        Request(Map<String, String> headers, Map<String, String> cookies) {
            this(headers, cookies, "10.1.2.3", new HashMap<>());
        }

        @Override
        public String header(String name) {
            return headers.get(name);
        }

        @Override
        public String cookie(String name) {
            return cookies.get(name);
        }

        @Override
        public void setResponseCookie(String name, String value, String path, Duration ttl) {
            setCookies.put(name + "=" + value, ttl);
        }
    }

    @Test
    void theFirstKeyFoundDecides() {
        HashPolicy policy = new HashPolicy(List.of(new HashPolicy.Key.Header("x-user"), new HashPolicy.Key.SourceIp()));
        assertThat(policy.key(new Request(Map.of("x-user", "ann"), Map.of()))).isEqualTo("ann");
        assertThat(policy.key(new Request(Map.of(), Map.of()))).isEqualTo("10.1.2.3");
        assertThat(HashPolicy.NONE.key(new Request(Map.of("x-user", "ann"), Map.of()))).isNull();
    }

    @Test
    void aCookieWithATtlIsSetWhenTheClientHasNone() {
        HashPolicy policy = new HashPolicy(List.of(new HashPolicy.Key.Cookie("session", "/", Duration.ofMinutes(10))));
        Request first = new Request(Map.of(), Map.of());
        String key = policy.key(first);
        assertThat(first.setCookies()).containsExactly(Map.entry("session=" + key, Duration.ofMinutes(10)));
        Request again = new Request(Map.of(), Map.of("session", key));
        assertThat(policy.key(again)).isEqualTo(key);
        assertThat(again.setCookies()).isEmpty();
    }

    @Test
    void aCookieWithoutATtlIsNeverSet() {
        HashPolicy policy = new HashPolicy(List.of(new HashPolicy.Key.Cookie("session", null, null)));
        Request request = new Request(Map.of(), Map.of());
        assertThat(policy.key(request)).isNull();
        assertThat(request.setCookies()).isEmpty();
    }
}
