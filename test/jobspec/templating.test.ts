import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTemplate, TemplateError } from '../../src/jobspec/templating.js';

const context = {
  instance: 4,
  hostname: 'node-1',
  taskId: 'r-e-n-4-abc',
  ports: { http: 8080, 'admin-port': 9090 },
};

describe('renderTemplate', () => {
  const cases: [string, string, string][] = [
    ['instance', 'id={{mesos.instance}}', 'id=4'],
    ['hostname', '{{mesos.hostname}}', 'node-1'],
    ['task id', '{{thermos.task_id}}', 'r-e-n-4-abc'],
    ['a port', '--port={{thermos.ports[http]}}', '--port=8080'],
    ['a port name with a dash', '{{thermos.ports[admin-port]}}', '9090'],
    ['spaces inside the braces', '{{ mesos.instance }}', '4'],
    ['several references', '{{mesos.hostname}}:{{thermos.ports[http]}}', 'node-1:8080'],
    [
      'non-Aurora braces are left alone',
      `docker inspect -f '{{.State.Pid}}' x`,
      `docker inspect -f '{{.State.Pid}}' x`,
    ],
    ['bash braces are left alone', 'echo ${HOME} {a,b}', 'echo ${HOME} {a,b}'],
  ];
  for (const [name, input, output] of cases) {
    it(name, () => assert.equal(renderTemplate(input, context), output));
  }

  it('names every unbound variable', () => {
    assert.throws(
      () => renderTemplate('{{thermos.ports[https]}} {{profile.name}}', context),
      (error: unknown) =>
        error instanceof TemplateError && error.unbound.join(',') === 'thermos.ports[https],profile.name',
    );
  });
});
