import { spawnSync } from 'node:child_process';
import { StackInstallFailedError } from './errors.js';

/**
 * Module flags Flink's distribution passes on Java 17 (its default `env.java.opts.all`); a launcher
 * that skips the bin/ scripts must pass them itself or Kryo and Pekko fail at run time.
 */
export const java17ModuleFlags: readonly string[] = [
  '--add-exports=java.base/sun.net.util=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED',
  '--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.text=ALL-UNNAMED',
  '--add-opens=java.base/java.time=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED',
];

/**
 * Fully derived memory settings of a Flink process, as the distribution's scripts compute them:
 * BashJavaUtils prints JVM arguments (line 1) and dynamic `-D` configs (line 2). Checked on 2.2:
 * both GET_TM_RESOURCE_PARAMS and GET_JM_RESOURCE_PARAMS print two result lines.
 */
export function flinkResourceParams(
  classpath: string,
  configDir: string,
  role: 'TM' | 'JM',
): { jvmArgs: string[]; dynamicConfigs: string[] } {
  const result = spawnSync(
    'java',
    [
      '-cp',
      classpath,
      'org.apache.flink.runtime.util.bash.BashJavaUtils',
      `GET_${role}_RESOURCE_PARAMS`,
      '--configDir',
      configDir,
    ],
    { encoding: 'utf8' },
  );
  const lines = `${result.stdout}`
    .split('\n')
    .filter((line) => line.startsWith('BASH_JAVA_UTILS_EXEC_RESULT:'))
    .map((line) => line.slice('BASH_JAVA_UTILS_EXEC_RESULT:'.length).trim());
  if (result.status !== 0 || lines.length < 2) {
    throw new StackInstallFailedError(
      `Flink could not derive ${role} memory settings from ${configDir}: ${result.stderr.slice(-400)}`,
    );
  }
  const dynamicConfigs = lines[1]!
    .split(/\s+/)
    .filter((part) => part && part !== '-D')
    .map((part) => `-D${part}`);
  return { jvmArgs: lines[0]!.split(/\s+/).filter(Boolean), dynamicConfigs };
}
