// Inputs of the secrets namespace, validated by the SDK before any request and by the local platform.
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Matches, MaxLength } from "./class-validator.js";
import { PageQuery } from "./common.js";

/** What a secret name looks like: a letter or `_`, then letters, digits, `_`, `.` or `-`; 1 to 256 characters. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

/** Most names one `secrets.getMany` call may ask for. */
export const MAX_SECRETS_PER_BATCH = 100;

const NAME_MESSAGE = "must start with a letter or _ and hold only letters, digits, _, . and -, at most 256 characters";

/** Input of `secrets.get`. */
export class SecretNameInput {
  /** The secret's name. */
  @IsString({ message: "name must be a string" })
  @Matches(SECRET_NAME, { message: `name ${NAME_MESSAGE}` })
  name!: string;
}

/** Parameters of `secrets.get` and `secrets.getMany` (SDK side only: they never leave the client). */
export class SecretsReadParamsInput {
  /** Skip the cache. */
  @IsOptional()
  @IsBoolean({ message: "fresh must be true or false" })
  fresh?: boolean;
}

/** Input of `secrets.getMany` (the body of `POST W/secrets:batchGet`). */
export class SecretsBatchGetInput {
  /** The names to read; duplicates are allowed and read once. */
  @IsArray({ message: "names must be an array of secret names" })
  @ArrayMaxSize(MAX_SECRETS_PER_BATCH, { message: `names may hold at most ${MAX_SECRETS_PER_BATCH} names per call` })
  @IsString({ each: true, message: "each name must be a string" })
  @Matches(SECRET_NAME, { each: true, message: `each name ${NAME_MESSAGE}` })
  names!: string[];
}

/** Input of `secrets.list`. */
export class SecretsListInput extends PageQuery {
  /** Only names that start with this. */
  @IsOptional()
  @IsString({ message: "prefix must be a string" })
  @MaxLength(256, { message: "prefix must be at most 256 characters" })
  @Matches(/^[A-Za-z0-9_.-]*$/, { message: "prefix may hold only letters, digits, _, . and -" })
  prefix?: string;
}
