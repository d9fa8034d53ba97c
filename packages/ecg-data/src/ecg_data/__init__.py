"""ecg_data: database readers (metadata, windowed load_data/load_ann, safe download, ECG-paper plots)
and the torch Datasets of the benchmarks.

The public names are the re-exports of the ``TYPE_CHECKING`` block below, listed once (add a
name there); :func:`ecg_signal.lazy.attach` resolves them on first use, so importing
``ecg_data`` imports no heavy dependency.
"""

from typing import TYPE_CHECKING

from ecg_data._version import __version__ as __version__
from ecg_signal.lazy import attach

if TYPE_CHECKING:
    from ecg_data.datasets.base import AugmentCfg as AugmentCfg
    from ecg_data.datasets.base import PreprocCfg as PreprocCfg
    from ecg_data.datasets.base import split_records as split_records
    from ecg_data.datasets.cinc2017 import CINC2017Dataset as CINC2017Dataset
    from ecg_data.datasets.cinc2017 import CINC2017TrainCfg as CINC2017TrainCfg
    from ecg_data.datasets.cinc2017 import CINC2017TrainConfig as CINC2017TrainConfig
    from ecg_data.datasets.cinc2017 import pad_collate as pad_collate
    from ecg_data.datasets.cinc2017 import stratified_split as stratified_split
    from ecg_data.datasets.cinc2021 import CINC2020Dataset as CINC2020Dataset
    from ecg_data.datasets.cinc2021 import CINC2020TrainCfg as CINC2020TrainCfg
    from ecg_data.datasets.cinc2021 import CINC2020TrainConfig as CINC2020TrainConfig
    from ecg_data.datasets.cinc2021 import CINC2021Dataset as CINC2021Dataset
    from ecg_data.datasets.cinc2021 import CINC2021TrainCfg as CINC2021TrainCfg
    from ecg_data.datasets.cinc2021 import CINC2021TrainConfig as CINC2021TrainConfig
    from ecg_data.datasets.cpsc2019 import CPSC2019Dataset as CPSC2019Dataset
    from ecg_data.datasets.cpsc2019 import CPSC2019TrainCfg as CPSC2019TrainCfg
    from ecg_data.datasets.cpsc2019 import CPSC2019TrainConfig as CPSC2019TrainConfig
    from ecg_data.datasets.cpsc2021 import CPSC2021Dataset as CPSC2021Dataset
    from ecg_data.datasets.cpsc2021 import CPSC2021TrainCfg as CPSC2021TrainCfg
    from ecg_data.datasets.cpsc2021 import CPSC2021TrainConfig as CPSC2021TrainConfig
    from ecg_data.datasets.ludb import LUDBDataset as LUDBDataset
    from ecg_data.datasets.ludb import LUDBTrainCfg as LUDBTrainCfg
    from ecg_data.datasets.ludb import LUDBTrainConfig as LUDBTrainConfig
    from ecg_data.datasets.mitdb import MITDBDataset as MITDBDataset
    from ecg_data.datasets.mitdb import MITDBTrainCfg as MITDBTrainCfg
    from ecg_data.datasets.mitdb import MITDBTrainConfig as MITDBTrainConfig
    from ecg_data.datasets.ptbxl import PTBXLDataset as PTBXLDataset
    from ecg_data.datasets.ptbxl import PTBXLTrainCfg as PTBXLTrainCfg
    from ecg_data.datasets.ptbxl import PTBXLTrainConfig as PTBXLTrainConfig
    from ecg_data.download import DownloadError as DownloadError
    from ecg_data.download import download_file as download_file
    from ecg_data.download import download_physionet as download_physionet
    from ecg_data.download import safe_extract as safe_extract
    from ecg_data.readers.afdb import AFDB as AFDB
    from ecg_data.readers.afdb import LTAFDB as LTAFDB
    from ecg_data.readers.apnea_ecg import ApneaAnn as ApneaAnn
    from ecg_data.readers.apnea_ecg import ApneaECG as ApneaECG
    from ecg_data.readers.base import DatabaseInfo as DatabaseInfo
    from ecg_data.readers.base import ECGReader as ECGReader
    from ecg_data.readers.base import ReaderError as ReaderError
    from ecg_data.readers.base import default_cache_dir as default_cache_dir
    from ecg_data.readers.cinc2017 import CINC2017 as CINC2017
    from ecg_data.readers.cinc2018 import CINC2018 as CINC2018
    from ecg_data.readers.cinc2021 import CINC2020 as CINC2020
    from ecg_data.readers.cinc2021 import CINC2021 as CINC2021
    from ecg_data.readers.cinc2021 import CinCAnn as CinCAnn
    from ecg_data.readers.cpsc2018 import CPSC2018 as CPSC2018
    from ecg_data.readers.cpsc2018 import CPSC2018Ann as CPSC2018Ann
    from ecg_data.readers.cpsc2019 import CPSC2019 as CPSC2019
    from ecg_data.readers.cpsc2020 import CPSC2020 as CPSC2020
    from ecg_data.readers.cpsc2020 import CPSC2020Ann as CPSC2020Ann
    from ecg_data.readers.cpsc2021 import CPSC2021 as CPSC2021
    from ecg_data.readers.ludb import LUDB as LUDB
    from ecg_data.readers.ludb import Wave as Wave
    from ecg_data.readers.mitdb import MITDB as MITDB
    from ecg_data.readers.nstdb import NSTDB as NSTDB
    from ecg_data.readers.ptbxl import PTBXL as PTBXL
    from ecg_data.readers.ptbxl import PTBXLAnn as PTBXLAnn
    from ecg_data.readers.qtdb import QTDB as QTDB
    from ecg_data.readers.qtdb import QTDBAnn as QTDBAnn
    from ecg_data.readers.shhs import SHHS as SHHS
    from ecg_data.readers.shhs import SleepAnn as SleepAnn
    from ecg_data.readers.synthetic import SyntheticAnn as SyntheticAnn
    from ecg_data.readers.synthetic import SyntheticDB as SyntheticDB
    from ecg_data.readers.wave_marks import WaveMarks as WaveMarks
    from ecg_data.readers.wfdb_base import BeatRhythmAnn as BeatRhythmAnn
    from ecg_data.readers.wfdb_base import WFDBReader as WFDBReader

if not TYPE_CHECKING:
    __getattr__, __dir__, __all__ = attach(__name__, __file__)
