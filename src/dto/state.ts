import { IsInt, IsNumber, IsOptional, IsString, MaxLength, Min } from "./class-validator.js";
import { IsJsonValue, IsSafeInteger, KeyString, NotDotSegment, OptionalNotNull, PageQuery, TtlSeconds, WellFormed } from "./common.js";

/** Longest state key accepted. */
export const MAX_STATE_KEY = 512;

/** Input of `state.get`, `state.delete`, `state.getWithVersion`. */
export class StateKeyInput {
  /** The key. */
  @KeyString("key", MAX_STATE_KEY)
  @NotDotSegment("key")
  key!: string;
}

/** Input of `state.set` (key from the path, the rest from the body). */
export class StateSetInput extends StateKeyInput {
  /** Any JSON value, `null` included; `undefined`, functions, NaN and cycles are refused. */
  @IsJsonValue("value must be a JSON value: null, a boolean, a finite number, a string, or an array or plain object of those, nested at most 100 levels (use state.delete to remove a key)")
  value!: unknown;

  /** Seconds until the key expires. */
  @TtlSeconds()
  ttlSeconds?: number;

  /** Write only if the stored version equals this; 0 means "only if the key does not exist". Left out, not `null`, for no condition. */
  @OptionalNotNull()
  @IsInt({ message: "ifVersion must be a whole number (or left out for no condition)" })
  @IsSafeInteger(`ifVersion must be at most ${Number.MAX_SAFE_INTEGER}`)
  @Min(0, { message: "ifVersion must be 0 (key must not exist) or a version returned earlier" })
  ifVersion?: number;
}

/** Input of `state.increment`. */
export class StateIncrementInput extends StateKeyInput {
  /** Amount to add; negative to subtract. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: "by must be a finite number" })
  by?: number;

  /** Seconds until the key expires, applied on this write. */
  @TtlSeconds()
  ttlSeconds?: number;
}

/** Input of `state.list`. */
export class StateListInput extends PageQuery {
  /** Only keys that start with this. */
  @IsOptional()
  @IsString({ message: "prefix must be a string" })
  @MaxLength(MAX_STATE_KEY)
  @WellFormed("prefix")
  prefix?: string;
}
