package com.apphub.streaming.format;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.Month;
import java.time.Year;
import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
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
            TimestampData canonical = parseCanonical(text, precision);
            if (canonical != null) return canonical;
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

    private static final int[] NANOS_PER_DIGIT = {0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1};

    /**
     * The timestamp of canonical ISO-8601 UTC text, {@code yyyy-MM-ddTHH:mm:ss[.f]Z} with a valid
     * date, a time of day before 24:00 and at most {@code precision} fraction digits, read directly;
     * null for any other text, which is left to Flink's parser. Flink's parser builds a map of fields
     * per call and cost more than the rest of the record's parse (measured with JFR on the bench); for
     * the text it handles here both give the same instant, and everything else still goes through it.
     */
    static TimestampData parseCanonical(String text, int precision) {
        int length = text.length();
        if (length < 20 || text.charAt(length - 1) != 'Z') return null;
        if (text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T') return null;
        if (text.charAt(13) != ':' || text.charAt(16) != ':') return null;
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        int nanos = 0;
        if (length > 20) {
            int fractionDigits = length - 21;
            if (text.charAt(19) != '.' || fractionDigits < 1 || fractionDigits > precision) return null;
            int fraction = digits(text, 20, fractionDigits);
            if (fraction < 0) return null;
            nanos = fraction * NANOS_PER_DIGIT[fractionDigits];
        }
        if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return null;
        if (minute < 0 || minute > 59 || second < 0 || second > 59) return null;
        if (day > Month.of(month).length(Year.isLeap(year))) return null;
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        long millis = epochDay * 86_400_000L + hour * 3_600_000L + minute * 60_000L + second * 1_000L + nanos / 1_000_000;
        return TimestampData.fromEpochMillis(millis, nanos % 1_000_000);
    }

    /** The value of {@code count} ASCII digits at {@code start}, or -1 if one of them is not a digit. */
    private static int digits(String text, int start, int count) {
        int value = 0;
        for (int index = start; index < start + count; index++) {
            char digit = text.charAt(index);
            if (digit < '0' || digit > '9') return -1;
            value = value * 10 + (digit - '0');
        }
        return value;
    }

    private final Field[] fields;
    private final int payloadIndex;
    private final int reasonIndex;
    private final TypeInformation<RowData> producedType;
    private transient JsonFactory json;
    private transient Map<String, Integer> fieldIndex;

    CheckedJsonDeserializer(Field[] fields, int payloadIndex, int reasonIndex, TypeInformation<RowData> producedType) {
        this.fields = fields;
        this.payloadIndex = payloadIndex;
        this.reasonIndex = reasonIndex;
        this.producedType = producedType;
    }

    @Override
    public void open(InitializationContext context) {
        json();
    }

    private JsonFactory json() {
        if (json == null) {
            json = new JsonFactory();
            fieldIndex = new HashMap<>();
            for (int index = 0; index < fields.length; index++) {
                if (fields[index] != null) fieldIndex.put(fields[index].name, index);
            }
        }
        return json;
    }

    @Override
    public RowData deserialize(byte[] message) {
        GenericRowData row = new GenericRowData(fields.length);
        if (message == null) {
            row.setField(reasonIndex, StringData.fromString("record has no value (tombstone)"));
            return row;
        }
        String[] texts = new String[fields.length];
        boolean object;
        try {
            // Parsed from the bytes, and the payload kept as those bytes, not copied (decoded only if a
            // dead letter is written): what Jackson reads is well-formed UTF-8. Each record's value is
            // an array of its own (Kafka's ByteArrayDeserializer copies it out of the fetch buffer),
            // and Flink's raw format wraps it the same way.
            object = readFields(json().createParser(message), texts);
            row.setField(payloadIndex, StringData.fromBytes(message));
        } catch (IOException notJsonOrNotUtf8) {
            // Decoded as the raw format decodes it (malformed bytes become U+FFFD), so the reason and
            // the dead-letter payload are what SQL over the raw text gave.
            String text = new String(message, StandardCharsets.UTF_8);
            row.setField(payloadIndex, StringData.fromString(text));
            try {
                object = readFields(json().createParser(text), texts);
            } catch (IOException notJson) {
                object = false;
            }
        }
        if (!object) {
            row.setField(reasonIndex, StringData.fromString("value is not a JSON object"));
            return row;
        }
        for (int index = 0; index < fields.length; index++) {
            Field field = fields[index];
            if (field == null) continue;
            if (texts[index] == null) return reject(row, field.name + " is missing");
            Object value = field.convert(texts[index]);
            if (value == null) return reject(row, field.invalid());
            row.setField(index, value);
        }
        return row;
    }

    /**
     * Reads one JSON object token by token (other fields are skipped, not built), leaving each declared
     * field's text as JSON_VALUE returns it: a string as is, a number as its exact decimal text, a
     * boolean as true/false, and null for null, an object or an array. A repeated key's last value
     * wins, as in a parsed tree; what follows the object is not read, as SQL's JSON functions do not.
     * False when the value is not an object; throws when it is not JSON.
     */
    private boolean readFields(JsonParser parser, String[] texts) throws IOException {
        try (parser) {
            if (parser.nextToken() != JsonToken.START_OBJECT) return false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                Integer index = fieldIndex.get(parser.currentName());
                JsonToken value = parser.nextToken();
                if (index == null) {
                    parser.skipChildren();
                    continue;
                }
                switch (value) {
                    case VALUE_STRING:
                        texts[index] = parser.getText();
                        break;
                    case VALUE_NUMBER_INT:
                        texts[index] = parser.getNumberValue().toString();
                        break;
                    case VALUE_NUMBER_FLOAT:
                        texts[index] = parser.getDecimalValue().toString();
                        break;
                    case VALUE_TRUE:
                    case VALUE_FALSE:
                        texts[index] = parser.getText();
                        break;
                    default:
                        parser.skipChildren();
                        texts[index] = null;
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT) throw new IOException("unterminated object");
            return true;
        }
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
