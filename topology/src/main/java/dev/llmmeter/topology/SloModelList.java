package dev.llmmeter.topology;

import org.apache.kafka.common.config.ConfigException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code metering.slo.models}: every model's own objectives in one value, so that they can be set where a setting's
 * name cannot carry a model's ({@code METERING_SLO_MODELS} in a compose file; a variable's name has no {@code -} or
 * {@code .}). Entries separated by {@code ;}, each {@code MODEL=ttft:MS,tpot:MS} with either objective or both:
 * {@code llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800}. The model is everything before the entry's last {@code =},
 * spaces around it and around each part dropped; an empty entry (a trailing {@code ;}) is nothing.
 */
final class SloModelList {
    static final String FORM = "MODEL=ttft:MS,tpot:MS entries separated by ';', "
            + "e.g. llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800";

    /** A model's objectives from the list; NaN where the entry sets none. */
    record Objectives(double ttftMs, double tpotMs) {
    }

    private SloModelList() {
    }

    /**
     * @return model -> its objectives, in the list's order
     * @throws ConfigException naming the setting, the value and the entry that is wrong, and the form
     */
    static Map<String, Objectives> parse(String setting, String value) {
        Map<String, Objectives> models = new LinkedHashMap<>();
        if (value == null) {
            return models;
        }
        for (String raw : value.split(";", -1)) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.lastIndexOf('=');
            if (eq < 0) {
                throw bad(setting, value, "entry '" + entry + "' has no '='");
            }
            String model = entry.substring(0, eq).strip();
            if (model.isEmpty()) {
                throw bad(setting, value, "entry '" + entry + "' names no model");
            }
            if (models.containsKey(model)) {
                throw bad(setting, value, "model '" + model + "' is named twice");
            }
            double ttft = Double.NaN;
            double tpot = Double.NaN;
            for (String rawPart : entry.substring(eq + 1).split(",", -1)) {
                String part = rawPart.strip();
                int colon = part.indexOf(':');
                String objective = colon < 0 ? part : part.substring(0, colon).strip();
                if (colon < 0 || !(objective.equals("ttft") || objective.equals("tpot"))) {
                    throw bad(setting, value, "entry '" + entry + "': '" + part + "' is not ttft:MS or tpot:MS");
                }
                double ms = millis(part.substring(colon + 1).strip());
                if (!(ms > 0) || !Double.isFinite(ms)) {
                    throw bad(setting, value, "entry '" + entry + "': " + objective + " must be a positive number of "
                            + "milliseconds, got '" + part.substring(colon + 1).strip() + "'");
                }
                if (!Double.isNaN(objective.equals("ttft") ? ttft : tpot)) {
                    throw bad(setting, value, "entry '" + entry + "' sets " + objective + " twice");
                }
                if (objective.equals("ttft")) {
                    ttft = ms;
                } else {
                    tpot = ms;
                }
            }
            models.put(model, new Objectives(ttft, tpot));
        }
        return models;
    }

    private static double millis(String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static ConfigException bad(String setting, String value, String why) {
        return new ConfigException(setting, value, why + "; the form is " + FORM);
    }
}
