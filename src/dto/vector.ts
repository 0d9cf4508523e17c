// Inputs of the vector namespace, validated by the SDK before any request and by the local platform.
export {};
