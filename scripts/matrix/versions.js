'use strict';
// What the compatibility matrix runs. The README's compatibility table, `engines.node` and
// `node-red.version` in package.json are checked against this list (scripts/matrix/claims.js), so a line
// added here has to be proved by the matrix before the package claims it.

/** Node-RED lines our users run, each with the Node it runs on in the matrix (5.x needs Node >= 22.9). */
const NODE_RED_LINES = [
  { line: '3.1', range: '~3.1.0', node: 20 },
  { line: '4.0', range: '~4.0.0', node: 20 },
  { line: '4.1', range: '~4.1.0', node: 20 },
  { line: '5.x', range: '^5.0.0', node: 22 },
];

/** A Node-RED line older than we support: the installed package must be refused there with the reason. */
const REFUSED_NODE_RED = { line: '3.0', range: '~3.0.0', node: 20 };

/** A Node.js older than we support, under a Node-RED that runs there: our own check must refuse to load. */
const REFUSED_NODE = { line: '3.1', node: 18 };

/** Node majors the core tests run on (the current LTS lines). */
const NODE_MAJORS = [20, 22, 24];

/** The oldest Node 20 release we claim: node-red 4.1 and our dependencies need 20.19 (require(esm) et al.). */
const NODE_20_MIN = '20.19.0';

module.exports = { NODE_RED_LINES, REFUSED_NODE_RED, REFUSED_NODE, NODE_MAJORS, NODE_20_MIN };
