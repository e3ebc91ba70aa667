package dev.trellis.proxy.balance;

import java.util.Objects;

/**
 * Where an endpoint or a caller runs: Envoy's and Istio's region, zone and sub-zone. An empty
 * part is unknown; {@link #NONE} is a place nobody declared. Written as Istio writes it,
 * {@code region/zone/subzone}, with the later parts optional. (Which locality a caller prefers is
 * the control plane's to say: it ranks endpoints into EDS priorities for each proxy.)
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

    @Override
    public String toString() {
        if (subZone.isEmpty()) {
            return zone.isEmpty() ? region : region + "/" + zone;
        }
        return region + "/" + zone + "/" + subZone;
    }
}
