// Typed calls into the native library: a request object becomes JSON, the answer's envelope becomes
// either the result or a NativeCallException carrying the library's stable error code.

using System;
using System.Collections.Concurrent;
using System.IO;
using System.Runtime.Serialization.Json;
using System.Text;

namespace SetAwsCliSsoCredentials.Engine
{
    /// <summary>The library answered {ok:false}: its code (docs/c-api.md) and message.</summary>
    internal sealed class NativeCallException : Exception
    {
        public NativeCallException(RunError error)
            : base(string.IsNullOrEmpty(error?.Message) ? "The native library reported an error." : error.Message)
        {
            Code = string.IsNullOrEmpty(error?.Code) ? "Panic" : error.Code;
        }

        public string Code { get; }
    }

    internal static class NativeEngine
    {
        // One serializer per type, built once: constructing them is the expensive part.
        private static readonly ConcurrentDictionary<Type, DataContractJsonSerializer> Serializers =
            new ConcurrentDictionary<Type, DataContractJsonSerializer>();

        /// <summary>Calls `ssocreds_<function>` and returns its result, or throws NativeCallException.</summary>
        public static TResult Call<TResult>(string function, object request)
        {
            string answer = SsoCredsNative.Call(function, Serialize(request));
            Envelope<TResult> envelope;
            try
            {
                envelope = Deserialize<Envelope<TResult>>(answer);
            }
            catch (Exception e) when (e is System.Runtime.Serialization.SerializationException || e is System.Xml.XmlException)
            {
                throw new NativeCallException(new RunError
                {
                    Code = "Panic",
                    Message = "The native library answered " + function + " with something that is not its JSON envelope: " + e.Message,
                });
            }
            if (envelope == null || !envelope.Ok)
            {
                throw new NativeCallException(envelope?.Error);
            }
            return envelope.Result;
        }

        /// <summary>Starts a run (docs/c-api.md, "The run operation"); its events come from RunNext.</summary>
        public static long RunStart(RunStartRequest request) => Call<RunCall>("run_start", request).RunId;

        public static RunEvent RunNext(long runId, int waitMs) =>
            Call<RunEvent>("run_next", new RunCall { RunId = runId, WaitMs = waitMs });

        public static RunCall RunAnswer(long runId, string[] confirmed) =>
            Call<RunCall>("run_answer", new RunCall { RunId = runId, Confirmed = confirmed });

        /// <summary>Callable from another thread while RunNext waits: the next event is finished with Cancelled.</summary>
        public static void RunCancel(long runId) => Call<RunCall>("run_cancel", new RunCall { RunId = runId });

        public static SessionInfo SessionStatus(string environment, bool noTokenFile) =>
            Call<SessionInfo>("session_status", new EnvironmentRequest { Environment = environment, NoTokenFile = noTokenFile });

        public static LogoutAnswer Logout(string environment, bool noTokenFile) =>
            Call<LogoutAnswer>("logout", new EnvironmentRequest { Environment = environment, NoTokenFile = noTokenFile });

        /// <summary>
        /// Builds the serializers of the common calls, on a thread-pool thread at import: their first use
        /// costs tens of milliseconds of reflection and JIT, which would otherwise delay the first command
        /// of every new shell (a $PROFILE line). Nothing depends on it having finished.
        /// </summary>
        public static void WarmUpInBackground()
        {
            System.Threading.ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    Serialize(new RunStartRequest { Operation = "refresh", Request = new RefreshRequest { Accounts = new[] { new AccountRequest { AccountId = "0" } } } });
                    Deserialize<Envelope<RunEvent>>("{\"ok\":true,\"result\":{\"event\":\"finished\",\"report\":{\"profiles\":[{\"profile\":\"p\",\"status\":\"current\"}]},\"errors\":[]}}");
                    Deserialize<Envelope<SessionInfo>>("{\"ok\":true,\"result\":{\"status\":\"none\",\"refreshable\":false}}");
                }
                catch (Exception)
                {
                    // Only a warm-up: the real call builds what is missing and reports its own errors.
                }
            });
        }

        private static DataContractJsonSerializer SerializerFor(Type type) =>
            Serializers.GetOrAdd(type, t => new DataContractJsonSerializer(t, new DataContractJsonSerializerSettings
            {
                UseSimpleDictionaryFormat = true,
            }));

        private static string Serialize(object value)
        {
            using (var stream = new MemoryStream())
            {
                SerializerFor(value.GetType()).WriteObject(stream, value);
                return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
            }
        }

        private static T Deserialize<T>(string json)
        {
            using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(json)))
            {
                return (T)SerializerFor(typeof(T)).ReadObject(stream);
            }
        }
    }
}
