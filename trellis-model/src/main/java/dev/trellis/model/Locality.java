package dev.trellis.model;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a workload runs: Istio's and Envoy's region, zone and sub-zone, written as Istio writes it,
 * {@code region/zone/subzone}, the later parts optional. An empty part is unknown; {@link #NONE} is
 * a place nobody declared.
 */
public record Locality(String region, String zone, String subZone) {
    /** No locality declared: the default of every endpoint and caller. */
    public static final Locality NONE = new Locality("", "", "");

    public static final String EXPECTED = "a locality region, region/zone or region/zone/subzone, each part"
            + " letters, digits, '-', '_' or '.'";

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

    public Locality {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(subZone, "subZone");
    }

    /**
     * The locality {@code text} writes: empty for {@link #NONE}, else one to three parts separated
     * by {@code /}, none empty. Empty when it is not a locality.
     */
    public static Optional<Locality> parse(String text) {
        if (text.isEmpty()) {
            return Optional.of(NONE);
        }
        String[] parts = text.split("/", -1);
        if (parts.length > 3) {
            return Optional.empty();
        }
        for (String part : parts) {
            if (!PART.matcher(part).matches()) {
                return Optional.empty();
            }
        }
        return Optional.of(new Locality(parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : ""));
    }

    public boolean isNone() {
        return region.isEmpty() && zone.isEmpty() && subZone.isEmpty();
    }

    /**
     * Whether this locality is one that an Istio locality pattern names ({@code from} and {@code to}
     * of {@code localityLbSetting.distribute}): each part equal, or {@code *}; a missing or empty
     * zone or sub-zone in the pattern matches any (Istio's {@code LocalityMatch}).
     */
    public boolean matches(String pattern) {
        String[] parts = pattern.split("/", -1);
        String r = parts[0];
        String z = parts.length > 1 ? parts[1] : "";
        String s = parts.length > 2 ? parts[2] : "";
        return (r.equals("*") || r.equals(region))
                && (z.equals("*") || z.isEmpty() || z.equals(zone))
                && (s.equals("*") || s.isEmpty() || s.equals(subZone));
    }

    /** {@code region}, {@code region/zone} or {@code region/zone/subzone}; empty for {@link #NONE}. */
    @Override
    public String toString() {
        if (subZone.isEmpty()) {
            return zone.isEmpty() ? region : region + "/" + zone;
        }
        return region + "/" + zone + "/" + subZone;
    }
}
