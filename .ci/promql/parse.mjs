// Parses PromQL with Prometheus's own grammar (@prometheus-io/lezer-promql, the Prometheus UI's parser).
// stdin: a JSON array of expressions. stdout: a JSON array with, for each, the list of syntax errors found
// (empty when it parses): "at N: …text around the error…". Installed by .ci/install-promql.sh.
import { parser } from '@prometheus-io/lezer-promql';

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
}

const results = JSON.parse(input).map((expression) => {
  const errors = [];
  parser.parse(expression).iterate({
    enter(node) {
      if (node.type.isError) {
        const around = expression.slice(Math.max(0, node.from - 15), node.to + 15);
        errors.push(`at ${node.from}: ${JSON.stringify(around)}`);
      }
    },
  });
  return errors;
});
process.stdout.write(JSON.stringify(results));
