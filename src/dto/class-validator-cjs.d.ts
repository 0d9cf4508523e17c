// Types for the files of class-validator that src/dto/class-validator.ts loads one by one. The
// package keeps them under types/, apart from its cjs/ files, so each is declared here by name.
// A file not named here fails to type-check: add it when a DTO needs another rule.
declare module "class-validator/cjs/decorator/common/IsOptional.js" {
  export { IsOptional } from "class-validator/types/decorator/common/IsOptional.js";
}
declare module "class-validator/cjs/decorator/common/IsIn.js" {
  export { IsIn } from "class-validator/types/decorator/common/IsIn.js";
}
declare module "class-validator/cjs/decorator/common/NotEquals.js" {
  export { NotEquals } from "class-validator/types/decorator/common/NotEquals.js";
}
declare module "class-validator/cjs/decorator/common/ValidateBy.js" {
  export { ValidateBy } from "class-validator/types/decorator/common/ValidateBy.js";
}
declare module "class-validator/cjs/decorator/common/ValidateIf.js" {
  export { ValidateIf } from "class-validator/types/decorator/common/ValidateIf.js";
}
declare module "class-validator/cjs/decorator/typechecker/IsArray.js" {
  export { IsArray } from "class-validator/types/decorator/typechecker/IsArray.js";
}
declare module "class-validator/cjs/decorator/typechecker/IsBoolean.js" {
  export { IsBoolean } from "class-validator/types/decorator/typechecker/IsBoolean.js";
}
declare module "class-validator/cjs/decorator/typechecker/IsInt.js" {
  export { IsInt } from "class-validator/types/decorator/typechecker/IsInt.js";
}
declare module "class-validator/cjs/decorator/typechecker/IsNumber.js" {
  export { IsNumber } from "class-validator/types/decorator/typechecker/IsNumber.js";
}
declare module "class-validator/cjs/decorator/typechecker/IsObject.js" {
  export { IsObject } from "class-validator/types/decorator/typechecker/IsObject.js";
}
declare module "class-validator/cjs/decorator/typechecker/IsString.js" {
  export { IsString } from "class-validator/types/decorator/typechecker/IsString.js";
}
declare module "class-validator/cjs/decorator/string/IsUrl.js" {
  export { IsUrl } from "class-validator/types/decorator/string/IsUrl.js";
}
declare module "class-validator/cjs/decorator/string/Matches.js" {
  export { Matches } from "class-validator/types/decorator/string/Matches.js";
}
declare module "class-validator/cjs/decorator/string/MaxLength.js" {
  export { MaxLength } from "class-validator/types/decorator/string/MaxLength.js";
}
declare module "class-validator/cjs/decorator/string/MinLength.js" {
  export { MinLength } from "class-validator/types/decorator/string/MinLength.js";
}
declare module "class-validator/cjs/decorator/array/ArrayMaxSize.js" {
  export { ArrayMaxSize } from "class-validator/types/decorator/array/ArrayMaxSize.js";
}
declare module "class-validator/cjs/decorator/number/Max.js" {
  export { Max } from "class-validator/types/decorator/number/Max.js";
}
declare module "class-validator/cjs/decorator/number/Min.js" {
  export { Min } from "class-validator/types/decorator/number/Min.js";
}
declare module "class-validator/cjs/container.js" {
  export { getFromContainer } from "class-validator/types/container.js";
}
declare module "class-validator/cjs/metadata/MetadataStorage.js" {
  export { getMetadataStorage } from "class-validator/types/metadata/MetadataStorage.js";
}
declare module "class-validator/cjs/validation/Validator.js" {
  export { Validator } from "class-validator/types/validation/Validator.js";
}
