package dev.trellis.proxy.balance;

import java.util.Objects;

/**
 * Where an endpoint or a caller runs: Envoy's and Istio's region, zone and sub-zone. An empty
 * part is unknown; {@link #NONE} is a place nobody declared. Written as Istio writes it,
 * {@code region/zone/subzone}, with the later parts optional.
 */
public record Locality(String region, String zone, String subZone) {
    /** No locality declared: the default of every endpoint and caller. */
    public static final Locality NONE = new Locality("", "", "");

    public Locality {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(subZone, "subZone");
        if (region.indexOf('/') >= 0 || zone.indexOf('/') >= 0 || subZone.indexOf('/') >= 0) {
            throw new IllegalArgumentException("locality: " + region + "/" + zone + "/" + subZone
                    + " (expected: parts without '/')");
        }
    }

    /** {@code region}, {@code region/zone} or {@code region/zone/subzone}; empty for {@link #NONE}. */
    public static Locality parse(String text) {
        if (text.isEmpty()) {
            return NONE;
        }
        String[] parts = text.split("/", -1);
        if (parts.length > 3) {
            throw new IllegalArgumentException("locality: " + text + " (expected: region[/zone[/subzone]])");
        }
        return new Locality(parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : "");
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

    @Override
    public String toString() {
        if (subZone.isEmpty()) {
            return zone.isEmpty() ? region : region + "/" + zone;
        }
        return region + "/" + zone + "/" + subZone;
    }
}
