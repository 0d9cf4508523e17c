// Inputs of the conversations namespace, validated by the SDK before any request and by the local platform.
import { IsIn, IsOptional, IsString, MaxLength } from "./class-validator.js";
import { IsMetadata, KeyString, NotDotSegment, PageQuery, WellFormed } from "./common.js";

/** Who may write a message. */
export const MESSAGE_ROLES = ["system", "user", "assistant", "tool"] as const;
/** Longest conversation title accepted. */
export const MAX_TITLE_LENGTH = 1000;
/** Longest message content accepted, in characters. */
export const MAX_MESSAGE_LENGTH = 1_000_000;
/** Longest conversation id accepted. */
const MAX_ID_LENGTH = 256;


/** Decorators for a conversation id. */
export function ConversationId(field: string): PropertyDecorator {
  return (target, property) => {
    KeyString(field, MAX_ID_LENGTH)(target, property);
    NotDotSegment(field)(target, property);
  };
}

/** Decorators for an optional title (null counts as absent). */
function Title(): PropertyDecorator {
  return (target, property) => {
    IsOptional()(target, property);
    IsString({ message: "title must be a string, or null for none" })(target, property);
    MaxLength(MAX_TITLE_LENGTH, { message: `title must be at most ${MAX_TITLE_LENGTH} characters` })(target, property);
    WellFormed("title")(target, property);
  };
}

/** Input of `conversations.create`. */
export class ConversationCreateInput {
  /** Title of the conversation; `null` or absent: none. */
  @Title()
  title?: string | null;

  /** Free-form JSON data stored with the conversation; `null` or absent: `{}`. */
  @IsMetadata()
  metadata?: Record<string, unknown> | null;
}

/** Input of `conversations.update` (id from the path, the rest from the body). */
export class ConversationUpdateInput {
  /** The conversation's id. */
  @ConversationId("id")
  id!: string;

  /** New title; `null` removes it. */
  @Title()
  title?: string | null;

  /** New metadata; replaces the old as a whole (`null`: `{}`). */
  @IsMetadata()
  metadata?: Record<string, unknown> | null;
}

/** Input of `conversations.get` and `conversations.delete`. */
export class ConversationIdInput {
  /** The conversation's id. */
  @ConversationId("id")
  id!: string;
}

/** Input of `conversations.list`. */
export class ConversationListInput extends PageQuery {}

/** Input of `conversations.addMessage` (conversation id from the path, the rest from the body). */
export class MessageAddInput {
  /** The conversation to append to. */
  @ConversationId("conversationId")
  conversationId!: string;

  /** Who wrote the message. */
  @IsIn(MESSAGE_ROLES, { message: `role must be one of ${MESSAGE_ROLES.join(", ")}` })
  role!: (typeof MESSAGE_ROLES)[number];

  /** The message text; may be empty (an assistant turn that only called tools). */
  @IsString({ message: "content must be a string" })
  @MaxLength(MAX_MESSAGE_LENGTH, { message: `content must be at most ${MAX_MESSAGE_LENGTH} characters` })
  @WellFormed("content")
  content!: string;

  /** Free-form JSON data stored with the message (tool call ids, token counts, ...); `null` or absent: `{}`. */
  @IsMetadata()
  metadata?: Record<string, unknown> | null;
}

/** Input of `conversations.listMessages`. */
export class MessageListInput extends PageQuery {
  /** The conversation whose messages to list. */
  @ConversationId("conversationId")
  conversationId!: string;

  /** `asc`: oldest first (the default); `desc`: newest first. */
  @IsOptional()
  @IsIn(["asc", "desc"], { message: "order must be asc or desc" })
  order?: "asc" | "desc";
}
