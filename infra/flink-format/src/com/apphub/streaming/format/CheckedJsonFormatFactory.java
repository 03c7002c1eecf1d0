package com.apphub.streaming.format;

import java.util.Set;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * The {@code 'format' = 'apphub-checked-json'} table format: each record is parsed once as a JSON
 * object, and every declared column is read from the field of the same name. A record that does not
 * fit (no value, not a JSON object, a field missing or not convertible to its column's type) is not
 * an error: its row carries the raw value in the payload column and the first thing wrong in the
 * reason column, so SQL can route it to a dead-letter table instead of failing or skipping it.
 */
public final class CheckedJsonFormatFactory implements DeserializationFormatFactory {

    public static final String IDENTIFIER = "apphub-checked-json";

    public static final ConfigOption<String> PAYLOAD_COLUMN =
            ConfigOptions.key("payload-column")
                    .stringType()
                    .defaultValue("payload")
                    .withDescription("STRING column that receives the record's value as text.");

    public static final ConfigOption<String> REASON_COLUMN =
            ConfigOptions.key("reason-column")
                    .stringType()
                    .defaultValue("reject_reason")
                    .withDescription(
                            "STRING column that receives why the record was rejected; NULL when every field was read.");

    @Override
    public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(
            DynamicTableFactory.Context context, ReadableConfig formatOptions) {
        FactoryUtil.validateFactoryOptions(this, formatOptions);
        return new CheckedJsonDecodingFormat(
                formatOptions.get(PAYLOAD_COLUMN), formatOptions.get(REASON_COLUMN));
    }

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(PAYLOAD_COLUMN, REASON_COLUMN);
    }
}
