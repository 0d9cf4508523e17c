// Inputs of the storage namespace, validated by the SDK before any request and by the local platform.
export {};
