import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.event.ruler.Ruler;

/** Prints, for each event file after the pattern file, whether EventBridge's matcher matches it. */
public class MatchEvents {
  public static void main(String[] args) throws Exception {
    String pattern = Files.readString(Path.of(args[0]));
    for (int i = 1; i < args.length; i++) {
      System.out.println(Ruler.matchesRule(Files.readString(Path.of(args[i])), pattern));
    }
  }
}
