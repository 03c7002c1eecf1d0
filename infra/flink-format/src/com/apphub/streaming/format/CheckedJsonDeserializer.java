package com.apphub.streaming.format;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryStringData;
import org.apache.flink.table.data.binary.BinaryStringDataUtil;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.utils.DateTimeUtils;

/**
 * Parses each record once. A field is read as SQL's JSON_VALUE reads it (a scalar's text; absent,
 * null, an object or an array count as missing) and converted as TRY_CAST converts text, with the
 * same Flink utilities, so the rows are what JSON_VALUE + TRY_CAST per field produced, for one parse
 * instead of one per call. TIMESTAMP_LTZ fields take ISO-8601 UTC text ('T' separator, trailing 'Z').
 */
final class CheckedJsonDeserializer implements DeserializationSchema<RowData> {

    private static final long serialVersionUID = 1L;

    /** How one declared column is read from its JSON field. */
    abstract static class Field implements Serializable {
        private static final long serialVersionUID = 1L;
        final String name;

        Field(String name) {
            this.name = name;
        }

        /** The column value for the field's text, or null when the text does not convert. */
        abstract Object convert(String text);

        /** Why a record whose field did not convert is rejected. */
        abstract String invalid();
    }

    static Field field(String name, LogicalType type) {
        switch (type.getTypeRoot()) {
            case VARCHAR:
            case CHAR:
                return new StringField(name);
            case DECIMAL:
                return new DecimalField(name, (DecimalType) type);
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                return new TimestampField(name, ((LocalZonedTimestampType) type).getPrecision());
            default:
                return null;
        }
    }

    private static final class StringField extends Field {
        StringField(String name) {
            super(name);
        }

        @Override
        Object convert(String text) {
            return StringData.fromString(text);
        }

        @Override
        String invalid() {
            return name + " is not a string";
        }
    }

    private static final class DecimalField extends Field {
        private final int precision;
        private final int scale;

        DecimalField(String name, DecimalType type) {
            super(name);
            this.precision = type.getPrecision();
            this.scale = type.getScale();
        }

        @Override
        Object convert(String text) {
            try {
                // What CAST(<string> AS DECIMAL(p, s)) calls; null when the value needs more precision.
                return BinaryStringDataUtil.toDecimal(BinaryStringData.fromString(text), precision, scale);
            } catch (RuntimeException notANumber) {
                return null;
            }
        }

        @Override
        String invalid() {
            return name + " is not a number";
        }
    }

    private static final class TimestampField extends Field {
        private final int precision;

        TimestampField(String name, int precision) {
            super(name);
            this.precision = precision;
        }

        @Override
        Object convert(String text) {
            try {
                // 2026-11-29T10:00:00.000Z read as the UTC wall-clock time 2026-11-29 10:00:00.000,
                // which is the instant itself: the job's session time zone is UTC.
                return DateTimeUtils.parseTimestampData(text.replace("T", " ").replace("Z", ""), precision);
            } catch (RuntimeException notATimestamp) {
                return null;
            }
        }

        @Override
        String invalid() {
            return name + " is not an ISO-8601 UTC timestamp";
        }
    }

    private final Field[] fields;
    private final int payloadIndex;
    private final int reasonIndex;
    private final TypeInformation<RowData> producedType;
    private transient ObjectMapper mapper;

    CheckedJsonDeserializer(Field[] fields, int payloadIndex, int reasonIndex, TypeInformation<RowData> producedType) {
        this.fields = fields;
        this.payloadIndex = payloadIndex;
        this.reasonIndex = reasonIndex;
        this.producedType = producedType;
    }

    @Override
    public void open(InitializationContext context) {
        mapper();
    }

    private ObjectMapper mapper() {
        if (mapper == null) {
            // As SQL's IS JSON and JSON_VALUE parse: a repeated key's last value wins, and a fraction
            // keeps its digits as written (1.50 stays 1.50 and 1e20 reads 1E+20, as JSON_VALUE returns them).
            mapper = new ObjectMapper()
                    .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));
        }
        return mapper;
    }

    @Override
    public RowData deserialize(byte[] message) {
        GenericRowData row = new GenericRowData(fields.length);
        if (message == null) {
            row.setField(reasonIndex, StringData.fromString("record has no value (tombstone)"));
            return row;
        }
        JsonNode root;
        try {
            // Parsed from the bytes, and the payload kept as a copy of those bytes (the caller owns the
            // array; decoded only if a dead letter is written): what Jackson reads is well-formed UTF-8.
            root = mapper().readTree(message);
            row.setField(payloadIndex, StringData.fromBytes(message.clone()));
        } catch (IOException notJsonOrNotUtf8) {
            // Decoded as the raw format decodes it (malformed bytes become U+FFFD), so the reason and
            // the dead-letter payload are what SQL over the raw text gave.
            String text = new String(message, StandardCharsets.UTF_8);
            row.setField(payloadIndex, StringData.fromString(text));
            try {
                root = mapper().readTree(text);
            } catch (IOException notJson) {
                root = null;
            }
        }
        if (root == null || !root.isObject()) {
            row.setField(reasonIndex, StringData.fromString("value is not a JSON object"));
            return row;
        }
        for (int index = 0; index < fields.length; index++) {
            Field field = fields[index];
            if (field == null) continue;
            JsonNode node = root.get(field.name);
            if (node == null || node.isNull() || node.isContainerNode() || node.isMissingNode()) {
                return reject(row, field.name + " is missing");
            }
            Object value = field.convert(node.asText());
            if (value == null) return reject(row, field.invalid());
            row.setField(index, value);
        }
        return row;
    }

    /** A rejected row keeps only its payload and reason: nothing half-read reaches the aggregation. */
    private GenericRowData reject(GenericRowData row, String reason) {
        for (int index = 0; index < fields.length; index++) {
            if (fields[index] != null) row.setField(index, null);
        }
        row.setField(reasonIndex, StringData.fromString(reason));
        return row;
    }

    @Override
    public boolean isEndOfStream(RowData nextElement) {
        return false;
    }

    @Override
    public TypeInformation<RowData> getProducedType() {
        return producedType;
    }
}
