// Imported first by @flow-sdk/sdk/local and @flow-sdk/sdk/testing, before any module that loads a peer: a
// missing one fails the import with one line saying what to install.
import { checkPeers } from "./peers.js";

checkPeers();
