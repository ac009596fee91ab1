using System.Runtime.InteropServices;

namespace ReliabilityHarness.DuckDb;

/// <summary>
/// Makes a new DuckDB database file appear whole, or not at all, so that two processes that find no file at once
/// cannot lose each other's data.
/// </summary>
/// <remarks>
/// <para>
/// DuckDB opens a database in three steps that another process can come between (DuckDB v1.5.5, d8cdaa3; the same
/// on main at 044a04a): <c>src/storage/storage_manager.cpp:404</c> checks that the file does not exist and then
/// creates a new database (line 440, <c>CreateNewDatabase</c>, after removing any WAL at line 410);
/// <c>src/storage/single_file_block_manager.cpp:326-334</c> opens it with <c>FILE_FLAGS_FILE_CREATE</c>, which
/// <c>src/common/local_file_system.cpp:342</c> turns into <c>O_CREAT</c> without <c>O_EXCL</c>; only then (line
/// 404-408) does it take its <c>fcntl</c> write lock. So a process that found no file and is slow to create it
/// opens the database another process has meanwhile created, loaded and closed, takes the free lock, and writes a
/// new, empty database over it: the first process's acknowledged rows are gone. And a process that opens the file
/// in the instant between another's <c>open</c> and its lock finds 0 bytes, refuses it as "not a valid DuckDB
/// database file", and the file can stay empty for good.
/// </para>
/// <para>
/// Here DuckDB never creates the file under its own name: a new database is made under a name of this process's own
/// beside it, closed (DuckDB has written and synced its headers), and linked into place with <c>link(2)</c>, which
/// fails when the name exists, so the first database linked is the one everybody opens. <c>rename(2)</c> would
/// replace a file created meanwhile, and <c>File.Move(overwrite: false)</c> checks, then renames. An empty file
/// found under the name is refused with the reason: it may be another program's DuckDB between its <c>open</c> and
/// its lock this very instant, so replacing it could lose that program's data.
/// </para>
/// </remarks>
internal static partial class DuckDbFile
{
    /// <summary>The suffix of the name a new database is made under before it is linked into place.</summary>
    public const string CreatingSuffix = ".creating";

    /// <summary>
    /// Makes sure a DuckDB database exists at <paramref name="path"/>: nothing to do when a non-empty file is there;
    /// a new database linked into place when none is (or the one another process linked first). Throws
    /// <see cref="DuckDbFileException"/> for an empty file.
    /// </summary>
    /// <param name="create">Creates and closes a new database at the path it is given (DuckDB, without this check).</param>
    public static void EnsureExists(string path, Action<string> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        var full = Path.GetFullPath(path);
        if (Exists(full))
        {
            return;
        }

        var creating = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}{CreatingSuffix}";
        try
        {
            create(creating);
            if (!LinkIfAbsent(creating, full))
            {
                // Another process linked its database first: that one is the database, and it is whole.
                return;
            }

            SyncDirectory(Path.GetDirectoryName(full)!);
        }
        finally
        {
            File.Delete(creating);
            File.Delete(creating + ".wal");
        }
    }

    /// <summary>Whether a database file is at <paramref name="path"/>; an empty one is refused.</summary>
    private static bool Exists(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return false;
        }

        return file.Length > 0 ? true : throw new DuckDbFileException(
            $"{path} is an empty file (0 bytes), not a DuckDB database. DuckDB creates a new database's file before it locks it, so another program " +
            "may be creating it this instant; if none is, remove the file and run again (the harness then creates it whole).");
    }

    /// <summary>Links <paramref name="source"/> as <paramref name="target"/>; false when <paramref name="target"/> exists.</summary>
    private static bool LinkIfAbsent(string source, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            // MoveFileEx without MOVEFILE_REPLACE_EXISTING: one call that fails when the target exists.
            try
            {
                File.Move(source, target, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(target))
            {
                return false;
            }
        }

        if (Link(source, target) == 0)
        {
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        return error == EEXIST ? false : throw new DuckDbFileException(
            $"cannot create the DuckDB database {target}: link({source}) failed: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    /// <summary>Makes the new name durable: without it, a power cut could lose the file with every commit in it.</summary>
    private static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var descriptor = Open(directory, O_RDONLY);
        if (descriptor < 0)
        {
            return;
        }

        _ = Fsync(descriptor);
        _ = Close(descriptor);
    }

    private const int EEXIST = 17;
    private const int O_RDONLY = 0;

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
