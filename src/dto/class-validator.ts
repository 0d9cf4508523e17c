// The parts of class-validator the DTOs use, each loaded from its own file. The package's main
// entry loads every rule it has, and with them all of validator.js and libphonenumber-js: about
// 60 ms of a cold start, for rules no DTO uses. A rule file loads only the validator.js function it
// calls (IsUrl: validator/lib/isURL). Rules register in class-validator's one global metadata
// storage, so validation reached through the main entry (the local platform's DTOs) sees them too.
// Each path needs a line in class-validator-cjs.d.ts; never add one whose file loads
// libphonenumber-js (IsPhoneNumber and the like) or validator's index.
import type * as cv from "class-validator";
import { getFromContainer } from "class-validator/cjs/container.js";
import { Validator } from "class-validator/cjs/validation/Validator.js";
import { ArrayMaxSize as cjsArrayMaxSize } from "class-validator/cjs/decorator/array/ArrayMaxSize.js";
import { IsIn as cjsIsIn } from "class-validator/cjs/decorator/common/IsIn.js";
import { IsOptional as cjsIsOptional } from "class-validator/cjs/decorator/common/IsOptional.js";
import { NotEquals as cjsNotEquals } from "class-validator/cjs/decorator/common/NotEquals.js";
import { ValidateBy as cjsValidateBy } from "class-validator/cjs/decorator/common/ValidateBy.js";
import { ValidateIf as cjsValidateIf } from "class-validator/cjs/decorator/common/ValidateIf.js";
import { Max as cjsMax } from "class-validator/cjs/decorator/number/Max.js";
import { Min as cjsMin } from "class-validator/cjs/decorator/number/Min.js";
import { IsUrl as cjsIsUrl } from "class-validator/cjs/decorator/string/IsUrl.js";
import { Matches as cjsMatches } from "class-validator/cjs/decorator/string/Matches.js";
import { MaxLength as cjsMaxLength } from "class-validator/cjs/decorator/string/MaxLength.js";
import { MinLength as cjsMinLength } from "class-validator/cjs/decorator/string/MinLength.js";
import { IsArray as cjsIsArray } from "class-validator/cjs/decorator/typechecker/IsArray.js";
import { IsBoolean as cjsIsBoolean } from "class-validator/cjs/decorator/typechecker/IsBoolean.js";
import { IsInt as cjsIsInt } from "class-validator/cjs/decorator/typechecker/IsInt.js";
import { IsNumber as cjsIsNumber } from "class-validator/cjs/decorator/typechecker/IsNumber.js";
import { IsObject as cjsIsObject } from "class-validator/cjs/decorator/typechecker/IsObject.js";
import { IsString as cjsIsString } from "class-validator/cjs/decorator/typechecker/IsString.js";
import { getMetadataStorage as cjsGetMetadataStorage } from "class-validator/cjs/metadata/MetadataStorage.js";

// Typed from the main entry, so that the declarations built from this file name only "class-validator".
export const ArrayMaxSize: typeof cv.ArrayMaxSize = cjsArrayMaxSize;
export const IsIn: typeof cv.IsIn = cjsIsIn;
export const IsOptional: typeof cv.IsOptional = cjsIsOptional;
export const NotEquals: typeof cv.NotEquals = cjsNotEquals;
export const ValidateBy: typeof cv.ValidateBy = cjsValidateBy;
export const ValidateIf: typeof cv.ValidateIf = cjsValidateIf;
export const Max: typeof cv.Max = cjsMax;
export const Min: typeof cv.Min = cjsMin;
export const IsUrl: typeof cv.IsUrl = cjsIsUrl;
export const Matches: typeof cv.Matches = cjsMatches;
export const MaxLength: typeof cv.MaxLength = cjsMaxLength;
export const MinLength: typeof cv.MinLength = cjsMinLength;
export const IsArray: typeof cv.IsArray = cjsIsArray;
export const IsBoolean: typeof cv.IsBoolean = cjsIsBoolean;
export const IsInt: typeof cv.IsInt = cjsIsInt;
export const IsNumber: typeof cv.IsNumber = cjsIsNumber;
export const IsObject: typeof cv.IsObject = cjsIsObject;
export const IsString: typeof cv.IsString = cjsIsString;
export const getMetadataStorage: typeof cv.getMetadataStorage = cjsGetMetadataStorage;

export type { ValidationArguments, ValidationError } from "class-validator";

/** class-validator's `validateSync(object, options)`, as its main entry defines it (through its container). */
export function validateSync(object: object, options?: cv.ValidatorOptions): cv.ValidationError[] {
  return getFromContainer(Validator).validateSync(object, options);
}
