package com.apphub.streaming.format;

import java.util.List;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

/** Checks the declared columns at planning time and creates the runtime decoder. */
final class CheckedJsonDecodingFormat implements DecodingFormat<DeserializationSchema<RowData>> {

    private final String payloadColumn;
    private final String reasonColumn;

    CheckedJsonDecodingFormat(String payloadColumn, String reasonColumn) {
        this.payloadColumn = payloadColumn;
        this.reasonColumn = reasonColumn;
    }

    @Override
    public DeserializationSchema<RowData> createRuntimeDecoder(
            DynamicTableSource.Context context, DataType physicalDataType) {
        RowType rowType = (RowType) physicalDataType.getLogicalType();
        List<String> names = rowType.getFieldNames();
        int payload = requireStringColumn(rowType, payloadColumn, "payload-column");
        int reason = requireStringColumn(rowType, reasonColumn, "reason-column");
        CheckedJsonDeserializer.Field[] fields = new CheckedJsonDeserializer.Field[names.size()];
        for (int index = 0; index < names.size(); index++) {
            if (index == payload || index == reason) continue;
            LogicalType type = rowType.getTypeAt(index);
            fields[index] = CheckedJsonDeserializer.field(names.get(index), type);
            if (fields[index] == null) {
                throw new ValidationException(
                        String.format(
                                "%s: column %s has type %s; supported: STRING, DECIMAL, TIMESTAMP_LTZ",
                                CheckedJsonFormatFactory.IDENTIFIER, names.get(index), type));
            }
        }
        TypeInformation<RowData> producedType = context.createTypeInformation(physicalDataType);
        return new CheckedJsonDeserializer(fields, payload, reason, producedType);
    }

    @Override
    public ChangelogMode getChangelogMode() {
        return ChangelogMode.insertOnly();
    }

    private static int requireStringColumn(RowType rowType, String name, String option) {
        int index = rowType.getFieldIndex(name);
        if (index < 0) {
            throw new ValidationException(
                    String.format(
                            "%s: %s names column %s, which the table does not declare (columns: %s)",
                            CheckedJsonFormatFactory.IDENTIFIER, option, name, rowType.getFieldNames()));
        }
        LogicalTypeRoot root = rowType.getTypeAt(index).getTypeRoot();
        if (root != LogicalTypeRoot.VARCHAR && root != LogicalTypeRoot.CHAR) {
            throw new ValidationException(
                    String.format(
                            "%s: %s column %s must be STRING, not %s",
                            CheckedJsonFormatFactory.IDENTIFIER, option, name, rowType.getTypeAt(index)));
        }
        return index;
    }
}
