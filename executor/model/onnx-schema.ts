/**
 * The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto, proto2 syntax) that the
 * executor reads and writes, as a protobufjs reflection root. Field numbers match the real schema; fields
 * Verity never uses (sub-graphs, sparse tensors, functions, training info) are left out on purpose, so the
 * decoder skips them as unknown fields instead of recursing into them.
 */
import * as protobuf from "protobufjs";

/** TensorProto.DataType values (onnx.proto). */
export const OnnxDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

export const ONNX_DATA_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(OnnxDataType).map(([k, v]) => [v, k]),
);

/** AttributeProto.AttributeType values (onnx.proto). */
export const OnnxAttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export const ONNX_ATTRIBUTE_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(OnnxAttributeType).map(([k, v]) => [v, k]),
);

const packed = { packed: true };
const expanded = { packed: false };

const schema: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: {
          fields: { key: { type: "string", id: 1 }, value: { type: "string", id: 2 } },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } },
        },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1, options: expanded },
            data_type: { type: "int32", id: 2 },
            segment: { type: "Segment", id: 3 },
            float_data: { rule: "repeated", type: "float", id: 4, options: packed },
            int32_data: { rule: "repeated", type: "int32", id: 5, options: packed },
            string_data: { rule: "repeated", type: "bytes", id: 6 },
            int64_data: { rule: "repeated", type: "int64", id: 7, options: packed },
            name: { type: "string", id: 8 },
            raw_data: { type: "bytes", id: 9 },
            double_data: { rule: "repeated", type: "double", id: 10, options: packed },
            uint64_data: { rule: "repeated", type: "uint64", id: 11, options: packed },
            doc_string: { type: "string", id: 12 },
            external_data: { rule: "repeated", type: "StringStringEntryProto", id: 13 },
            data_location: { type: "int32", id: 14 },
          },
          nested: {
            Segment: { fields: { begin: { type: "int64", id: 1 }, end: { type: "int64", id: 2 } } },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ["dim_value", "dim_param"] } },
              fields: {
                dim_value: { type: "int64", id: 1 },
                dim_param: { type: "string", id: 2 },
                denotation: { type: "string", id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ["tensor_type"] } },
          fields: {
            tensor_type: { type: "TensorTypeProto", id: 1 },
            denotation: { type: "string", id: 6 },
          },
        },
        // TypeProto.Tensor in onnx.proto; a nested message there, a sibling here (same wire format).
        TensorTypeProto: {
          fields: { elem_type: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } },
        },
        ValueInfoProto: {
          fields: {
            name: { type: "string", id: 1 },
            type: { type: "TypeProto", id: 2 },
            doc_string: { type: "string", id: 3 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            floats: { rule: "repeated", type: "float", id: 7, options: expanded },
            ints: { rule: "repeated", type: "int64", id: 8, options: expanded },
            strings: { rule: "repeated", type: "bytes", id: 9 },
            doc_string: { type: "string", id: 13 },
            type: { type: "int32", id: 20 },
            ref_attr_name: { type: "string", id: 21 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            op_type: { type: "string", id: 4 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
            doc_string: { type: "string", id: 6 },
            domain: { type: "string", id: 7 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            doc_string: { type: "string", id: 10 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
            value_info: { rule: "repeated", type: "ValueInfoProto", id: 13 },
          },
        },
        ModelProto: {
          fields: {
            ir_version: { type: "int64", id: 1 },
            producer_name: { type: "string", id: 2 },
            producer_version: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            model_version: { type: "int64", id: 5 },
            doc_string: { type: "string", id: 6 },
            graph: { type: "GraphProto", id: 7 },
            opset_import: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
            metadata_props: { rule: "repeated", type: "StringStringEntryProto", id: 14 },
          },
        },
      },
    },
  },
};

// onnx.proto is proto2: explicit field presence, so that a zero value that is set (an INT attribute `i: 0`, a
// FLOAT `f: 0`) is still written and onnxruntime's has_i()/has_f() checks see it. protobufjs's JSON loader would
// default to proto3 (implicit presence) without this.
for (const t of Object.values((schema.nested?.onnx as protobuf.INamespace).nested ?? {})) {
  (t as { edition?: string }).edition = "proto2";
}

const root = protobuf.Root.fromJSON(schema);

export const ModelProtoType = root.lookupType("onnx.ModelProto");
export const TensorProtoType = root.lookupType("onnx.TensorProto");

/** A protobufjs int64 value: a JS number or a `Long`-like object, depending on what the decoder produced. */
export type Int64Like = number | { low: number; high: number; unsigned?: boolean; toNumber(): number } | string;

/** Plain shapes of the decoded messages (protobufjs messages expose the fields as own or prototype props). */
export interface PTensor {
  dims: Int64Like[];
  data_type: number;
  segment?: { begin: Int64Like; end: Int64Like } | null;
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: Int64Like[];
  name: string;
  raw_data: Uint8Array;
  double_data: number[];
  uint64_data: Int64Like[];
  external_data: { key: string; value: string }[];
  data_location: number;
}
export interface PDimension {
  dim_value?: Int64Like;
  dim_param?: string;
  value?: string;
}
export interface PValueInfo {
  name: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim: PDimension[] } | null } | null } | null;
}
export interface PAttribute {
  name: string;
  f: number;
  i: Int64Like;
  s: Uint8Array;
  t?: PTensor | null;
  floats: number[];
  ints: Int64Like[];
  strings: Uint8Array[];
  type: number;
  ref_attr_name: string;
}
export interface PNode {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: PAttribute[];
  domain: string;
}
export interface PGraph {
  node: PNode[];
  name: string;
  initializer: PTensor[];
  input: PValueInfo[];
  output: PValueInfo[];
}
export interface PModel {
  ir_version: Int64Like;
  producer_name: string;
  graph?: PGraph | null;
  opset_import: { domain: string; version: Int64Like }[];
}
