package dev.trellis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The CLI's side of the control plane's HTTP API. Whatever goes wrong becomes an {@link ApiException}
 * with one line to show the user: the API's own error and its problems, or why it could not be reached.
 */
public final class ApiClient {
    public static final String DEFAULT_ADDRESS = "127.0.0.1:15014";
    public static final String ENVIRONMENT = "TRELLIS_API";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An answer other than 200, or no answer. */
    public static final class ApiException extends Exception {
        private final List<String> problems;

        ApiException(String message, List<String> problems) {
            super(message);
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /** A file (or standard input) to apply, by the name messages call it. */
    public record Source(String name, String text) {}

    private final String address;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ApiClient(String address) {
        this.address = address;
    }

    /** @param flag the {@code --api} option, or null: then {@code TRELLIS_API}, then the default */
    public static ApiClient of(String flag) {
        String env = System.getenv(ENVIRONMENT);
        return new ApiClient(flag != null ? flag : env != null && !env.isBlank() ? env.strip() : DEFAULT_ADDRESS);
    }

    public String address() {
        return address;
    }

    public JsonNode apply(List<Source> sources, boolean dryRun) throws ApiException {
        String boundary = "trellis-" + UUID.randomUUID();
        StringBuilder body = new StringBuilder();
        for (Source source : sources) {
            body.append("--").append(boundary).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"file\"; filename=\"")
                    .append(source.name().replace("\"", "%22")).append("\"\r\n")
                    .append("Content-Type: application/yaml\r\n\r\n")
                    .append(source.text()).append("\r\n");
        }
        body.append("--").append(boundary).append("--\r\n");
        return send(HttpRequest.newBuilder(uri("/api/v1/apply" + (dryRun ? "?dryRun=true" : "")))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)));
    }

    public JsonNode get(String path, Map<String, String> query) throws ApiException {
        return send(HttpRequest.newBuilder(uri(path + query(query))).GET());
    }

    public JsonNode delete(String path, boolean dryRun) throws ApiException {
        return send(HttpRequest.newBuilder(uri(path + (dryRun ? "?dryRun=true" : ""))).DELETE());
    }

    private JsonNode send(HttpRequest.Builder request) throws ApiException {
        HttpResponse<String> response;
        try {
            response = http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw unreachable(e.getMessage() == null ? "connection refused" : e.getMessage());
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable("interrupted");
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new ApiException("the control plane at " + address + " answered " + response.statusCode()
                    + " with something other than JSON", List.of());
        }
        if (response.statusCode() != 200) {
            List<String> problems = new ArrayList<>();
            body.path("problems").forEach(p -> problems.add(p.asText()));
            throw new ApiException(body.path("error").asText("HTTP " + response.statusCode()), problems);
        }
        return body;
    }

    private ApiException unreachable(String why) {
        return new ApiException("cannot reach the control plane's API at " + address + " (" + why + "); start one with"
                + " 'trellis control-plane', or name it with --api HOST:PORT or " + ENVIRONMENT, List.of());
    }

    private URI uri(String path) {
        return URI.create("http://" + address + path);
    }

    private static String query(Map<String, String> params) {
        StringBuilder query = new StringBuilder();
        params.forEach((k, v) -> query.append(query.isEmpty() ? "?" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return query.toString();
    }
}
