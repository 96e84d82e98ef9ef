// Preloaded into the Agents Playground (`node -r ./loopback.cjs cli.js ...`): every server the
// process opens without naming a host listens on 127.0.0.1 only. The Playground's connector
// accepts unauthenticated calls; it must not be reachable from other machines.
"use strict";
const net = require("net");

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === "number" && (args.length === 1 || typeof args[1] === "function")) {
    args.splice(1, 0, "127.0.0.1");
  } else if (args[0] && typeof args[0] === "object" && !Array.isArray(args[0]) && args[0].host === undefined && args[0].path === undefined) {
    args[0] = { ...args[0], host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
