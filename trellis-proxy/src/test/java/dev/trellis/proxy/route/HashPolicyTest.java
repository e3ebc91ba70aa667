package dev.trellis.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HashPolicyTest {
    /** A request with the given headers and cookies, recording the cookies it is asked to set. */
    record Request(Map<String, String> headers, Map<String, String> cookies, String sourceIp, Map<String, Duration> setCookies,
            String target) implements HashPolicy.Request {
        Request(Map<String, String> headers, Map<String, String> cookies) {
            this(headers, cookies, "10.1.2.3", new HashMap<>(), "/");
        }

        Request(String target) {
            this(Map.of(), Map.of(), "10.1.2.3", new HashMap<>(), target);
        }

        @Override
        public String queryParameter(String name) {
            return HashPolicy.queryParameter(target, name);
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
    void aQueryParameterKeyIsTheParametersFirstValueAsSent() {
        HashPolicy policy = new HashPolicy(List.of(new HashPolicy.Key.QueryParameter("user"), new HashPolicy.Key.SourceIp()));
        assertThat(policy.key(new Request("/items?x=1&user=ann%20b&user=bob"))).isEqualTo("ann%20b");
        assertThat(policy.key(new Request("/items?user"))).as("present without a value").isEmpty();
        assertThat(policy.key(new Request("/items?User=ann"))).as("names are case-sensitive: the next key decides").isEqualTo("10.1.2.3");
        assertThat(policy.key(new Request("/items#user=ann"))).isEqualTo("10.1.2.3");
        assertThat(HashPolicy.queryParameter("/a?users=1&user=2#frag", "user")).isEqualTo("2");
        assertThat(HashPolicy.queryParameter("/a", "user")).isNull();
    }

    @Test
    void aCookieWithoutATtlIsNeverSet() {
        HashPolicy policy = new HashPolicy(List.of(new HashPolicy.Key.Cookie("session", null, null)));
        Request request = new Request(Map.of(), Map.of());
        assertThat(policy.key(request)).isNull();
        assertThat(request.setCookies()).isEmpty();
    }
}
