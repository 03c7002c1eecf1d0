package com.apphub.streaming.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

/**
 * The micro-batcher's peer in npm run bench (bench/peer.ts): one JVM with a Flink MiniCluster (one
 * TaskManager) that runs the SQL it is sent, so Flink's own filesystem sink writes Parquet to S3 with
 * the settings the stack runs. The JVM's CPU time is the peer's cost: its Kafka source, the sink and
 * the MiniCluster itself.
 *
 * <p>Protocol: one JSON request per line on stdin, one JSON answer per line on stdout (Flink's logs
 * go to the log4j file). The first line out is {"ready":true}. Requests:
 *
 * <ul>
 *   <li>{"op":"run","statements":[...],"wait":true|false}: runs the statements in a fresh table
 *       environment; the last one starts the job. With wait, answers when it has finished with the
 *       JVM's CPU and wall nanoseconds from the first statement on; without, once it is submitted.
 *   <li>{"op":"cancel","jobId":"..."}: cancels a job started without wait.
 *   <li>{"op":"exit"}: closes the MiniCluster and exits.
 * </ul>
 *
 * <p>args[0]: a file of flat "key: value" Flink settings for the MiniCluster.
 */
public final class ParquetPeer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ParquetPeer() {}

  public static void main(String[] args) throws Exception {
    // Answers go to the real stdout; anything else that prints (libraries) goes to stderr.
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    Configuration settings = readSettings(args[0]);
    // File systems from the plugin folder (FLINK_PLUGINS_DIR), as a JobManager or TaskManager loads
    // them at start; a MiniCluster does not.
    FileSystem.initialize(settings, PluginUtils.createPluginManagerFromRootFolder(settings));
    int slots = settings.get(TaskManagerOptions.NUM_TASK_SLOTS);
    MiniClusterConfiguration config =
        new MiniClusterConfiguration.Builder()
            .setConfiguration(settings)
            .setNumTaskManagers(1)
            .setNumSlotsPerTaskManager(slots)
            .build();
    Map<String, JobClient> running = new HashMap<>();
    try (MiniCluster cluster = new MiniCluster(config)) {
      cluster.start();
      URI rest = cluster.getRestAddress().get();
      Configuration client = new Configuration(settings);
      client.set(DeploymentOptions.TARGET, "remote");
      client.set(RestOptions.ADDRESS, rest.getHost());
      client.set(RestOptions.PORT, rest.getPort());
      answer(out, Map.of("ready", true));
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode request = JSON.readTree(line);
        String op = request.path("op").asText();
        if (op.equals("exit")) break;
        try {
          if (op.equals("run")) answer(out, run(client, request, running));
          else if (op.equals("cancel")) {
            JobClient job = running.remove(request.path("jobId").asText());
            if (job != null) job.cancel().get();
            answer(out, Map.of("ok", true));
          } else answer(out, Map.of("ok", false, "error", "unknown op " + op));
        } catch (Exception error) {
          answer(out, Map.of("ok", false, "error", describe(error)));
        }
      }
      for (JobClient job : running.values()) job.cancel().get();
    }
  }

  private static Map<String, Object> run(Configuration client, JsonNode request, Map<String, JobClient> running)
      throws Exception {
    long cpu = processCpuNanos();
    long wall = System.nanoTime();
    TableEnvironment tables =
        TableEnvironment.create(
            EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(client).build());
    TableResult last = null;
    for (JsonNode statement : request.path("statements")) last = tables.executeSql(statement.asText());
    if (last == null) throw new IllegalArgumentException("a run needs at least one statement");
    Optional<JobClient> job = last.getJobClient();
    if (job.isEmpty()) throw new IllegalArgumentException("the last statement started no job");
    String jobId = job.get().getJobID().toString();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("ok", true);
    result.put("jobId", jobId);
    if (request.path("wait").asBoolean(true)) {
      last.await();
      result.put("cpuNanos", processCpuNanos() - cpu);
      result.put("wallNanos", System.nanoTime() - wall);
    } else running.put(jobId, job.get());
    return result;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** The message of each cause, outermost first, on one line. */
  private static String describe(Throwable error) {
    StringBuilder text = new StringBuilder();
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (text.length() > 0) text.append(": ");
      text.append(cause.getClass().getSimpleName()).append(' ').append(cause.getMessage());
    }
    return text.toString().replace('\n', ' ');
  }

  private static void answer(PrintStream out, Map<String, ?> message) throws Exception {
    out.println(JSON.writeValueAsString(message));
  }

  private static Configuration readSettings(String file) throws Exception {
    Map<String, String> values = new HashMap<>();
    for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(file))) {
      int colon = line.indexOf(": ");
      if (colon > 0) values.put(line.substring(0, colon), line.substring(colon + 2));
    }
    return Configuration.fromMap(values);
  }
}
