import { MESSAGE_SCHEMA, STORED_ITEM_SCHEMA, type FieldsOf, type MessageSchema, type MessageSchemaOf } from '../../../../src/adapters/wire/message-schema';
import type { MessageOf, StoredItem } from '../../../../src/application/protocol/envelope';

export const schemaMatchesTheTypes: MessageSchema = MESSAGE_SCHEMA;

export const chatAsDeclared = { required: { id: 'id', from: 'name', to: 'name', sealed: 'sealed' }, optional: { stream: 'id', seq: 'uint' } } satisfies MessageSchemaOf<MessageOf<'chat'>>;

type ChatWithAField = MessageOf<'chat'> & { urgent: boolean };

// @ts-expect-error a field added to the message type but missing from the schema
export const missingField = { required: MESSAGE_SCHEMA.chat.required, optional: MESSAGE_SCHEMA.chat.optional } satisfies MessageSchemaOf<ChatWithAField>;

// @ts-expect-error a field in the schema that the message type does not have
export const extraField = { required: { id: 'id', from: 'name', to: 'name', text: 'text', urgent: 'bool' }, optional: { stream: 'id', seq: 'uint' } } satisfies MessageSchemaOf<MessageOf<'chat'>>;

// @ts-expect-error a field of the message type dropped from the schema
export const droppedField = { required: { id: 'id', from: 'name', text: 'text' }, optional: { stream: 'id', seq: 'uint' } } satisfies MessageSchemaOf<MessageOf<'chat'>>;

// @ts-expect-error a rule that does not fit the field's type (a text checked as a number)
export const wrongRule = { required: { id: 'id', from: 'name', to: 'name', text: 'uint' }, optional: { stream: 'id', seq: 'uint' } } satisfies MessageSchemaOf<MessageOf<'chat'>>;

// @ts-expect-error an optional field the message type does not have
export const extraOptional = { required: { re: 'id' }, optional: { status: 'status', version: 'uint', note: 'text' } } satisfies MessageSchemaOf<MessageOf<'ack'>>;

// @ts-expect-error the optional fields of a message type missing from the schema
export const missingOptional = { required: { re: 'id' } } satisfies MessageSchemaOf<MessageOf<'ack'>>;

export const itemAsDeclared: FieldsOf<StoredItem> = STORED_ITEM_SCHEMA;

// @ts-expect-error a stored item's field missing from its schema
export const itemMissingField = { id: 'id', from: 'name', kind: 'kind', at: 'uint' } satisfies FieldsOf<StoredItem>;
